#include "edge/address_limit.h"

#include <boost/asio/ip/address.hpp>

#include "gtest/gtest.h"

namespace sig::edge {
namespace {

AddressLimit::Key Key(const char* text) {
  return AddressLimit::KeyOf(boost::asio::ip::make_address(text));
}

TEST(AddressLimitTest, CountsEachAddressUpToItsBound) {
  AddressLimit limit(2);
  EXPECT_TRUE(limit.TryAcquire(Key("192.0.2.1")));
  EXPECT_TRUE(limit.TryAcquire(Key("192.0.2.1")));
  EXPECT_FALSE(limit.TryAcquire(Key("192.0.2.1")));
  EXPECT_TRUE(limit.TryAcquire(Key("192.0.2.2")));  // another address has its own count
  limit.Release(Key("192.0.2.1"));
  EXPECT_TRUE(limit.TryAcquire(Key("192.0.2.1")));
  EXPECT_FALSE(limit.TryAcquire(Key("192.0.2.1")));
}

TEST(AddressLimitTest, Ipv6CountsPerSlash64AndMappedIpv4AsIpv4) {
  EXPECT_EQ(Key("2001:db8:1:2::1"), Key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  EXPECT_NE(Key("2001:db8:1:2::1"), Key("2001:db8:1:3::1"));
  EXPECT_EQ(Key("::ffff:192.0.2.1"), Key("192.0.2.1"));
  EXPECT_NE(Key("::"), Key("0.0.0.0"));
  AddressLimit limit(1);
  EXPECT_TRUE(limit.TryAcquire(Key("2001:db8:1:2::1")));
  EXPECT_FALSE(limit.TryAcquire(Key("2001:db8:1:2::beef")));
  EXPECT_TRUE(limit.TryAcquire(Key("2001:db8:1:3::1")));
}

TEST(AddressLimitTest, ZeroMeansNoLimit) {
  AddressLimit limit(0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limit.TryAcquire(Key("192.0.2.1")));
}

}  // namespace
}  // namespace sig::edge
