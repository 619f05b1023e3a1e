#include "edge/client_address.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sig::edge {
namespace {

namespace ip = boost::asio::ip;

TrustedProxies Trusted(std::vector<std::string> blocks) {
  auto trusted = TrustedProxies::Parse(blocks);
  EXPECT_TRUE(trusted.ok()) << trusted.status();
  return trusted.ok() ? *trusted : TrustedProxies();
}

std::string Client(std::string_view forwarded, std::string_view xff,
                   const TrustedProxies& trusted) {
  const auto client = ForwardedClient(forwarded, xff, trusted);
  return client ? client->ToString() : "none";
}

TEST(TrustedProxiesTest, MatchesBlocksOfBothFamilies) {
  const TrustedProxies trusted = Trusted({"10.0.0.0/8", "192.168.1.7", "fd00::/8", " 172.16.0.0/12 "});
  EXPECT_TRUE(trusted.Contains(ip::make_address("10.200.3.4")));
  EXPECT_TRUE(trusted.Contains(ip::make_address("192.168.1.7")));
  EXPECT_FALSE(trusted.Contains(ip::make_address("192.168.1.8")));
  EXPECT_TRUE(trusted.Contains(ip::make_address("172.31.255.255")));
  EXPECT_FALSE(trusted.Contains(ip::make_address("172.32.0.0")));
  EXPECT_TRUE(trusted.Contains(ip::make_address("fd12::1")));
  EXPECT_FALSE(trusted.Contains(ip::make_address("fe80::1")));
  // An IPv4 client on the dual-stack listener arrives IPv4-mapped.
  EXPECT_TRUE(trusted.Contains(ip::make_address("::ffff:10.1.2.3")));
  EXPECT_TRUE(Trusted({"0.0.0.0/0"}).Contains(ip::make_address("8.8.8.8")));
  EXPECT_FALSE(Trusted({}).Contains(ip::make_address("127.0.0.1")));
}

TEST(TrustedProxiesTest, RefusesWhatIsNotABlock) {
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "proxy.example", "10.0.0.0/x", "10.0.0/8"}) {
    EXPECT_FALSE(TrustedProxies::Parse({bad}).ok()) << bad;
  }
}

TEST(ForwardedClientTest, ReadsTheChainFromTheRightUpToTheFirstUntrustedHop) {
  const TrustedProxies trusted = Trusted({"10.0.0.0/8"});
  EXPECT_EQ(Client("", "203.0.113.7", trusted), "203.0.113.7");
  // The client wrote 1.2.3.4 itself; its proxy appended the address it saw.
  EXPECT_EQ(Client("", "1.2.3.4, 203.0.113.7", trusted), "203.0.113.7");
  // Two trusted proxies in a row are skipped.
  EXPECT_EQ(Client("", "1.2.3.4, 203.0.113.7, 10.0.0.2", trusted), "203.0.113.7");
  EXPECT_EQ(Client("", "2001:db8::1", trusted), "[2001:db8::1]");
  // Garbage at the right: nothing can be vouched for.
  EXPECT_EQ(Client("", "203.0.113.7, not-an-address", trusted), "none");
  EXPECT_EQ(Client("", "", trusted), "none");
}

TEST(ForwardedClientTest, ForwardedWinsAndCarriesPorts) {
  const TrustedProxies trusted = Trusted({"10.0.0.0/8"});
  EXPECT_EQ(Client(R"(for=192.0.2.60;proto=http;by=203.0.113.43)", "198.51.100.1", trusted),
            "192.0.2.60");
  EXPECT_EQ(Client(R"(for="[2001:db8:cafe::17]:4711")", "", trusted), "[2001:db8:cafe::17]:4711");
  EXPECT_EQ(Client(R"(For="192.0.2.43:47011", for=10.1.1.1)", "", trusted), "192.0.2.43:47011");
  EXPECT_EQ(Client(R"(for=_hidden)", "", trusted), "none");
  EXPECT_EQ(Client(R"(for="[2001:db8::1")", "", trusted), "none");
}

std::vector<std::uint8_t> HeaderV2(std::uint8_t command, std::uint8_t family,
                                   std::vector<std::uint8_t> body) {
  std::vector<std::uint8_t> bytes = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
                                     0x54, 0x0A, static_cast<std::uint8_t>(0x20 | command), family,
                                     static_cast<std::uint8_t>(body.size() >> 8),
                                     static_cast<std::uint8_t>(body.size() & 0xFF)};
  for (std::uint8_t b : body) bytes.push_back(b);  // (insert trips GCC 12's -Warray-bounds)
  return bytes;
}

std::string SourceOf(const std::vector<std::uint8_t>& header) {
  const std::span<const std::uint8_t, ProxyHeaderV2::kFixedBytes> fixed(header.data(), 16);
  const auto length = ProxyHeaderV2::BodyBytes(fixed);
  if (!length.ok()) return "bad header";
  if (header.size() != 16 + *length) return "bad length";
  const auto source = ProxyHeaderV2::Source(fixed, std::span(header).subspan(16));
  if (!source.ok()) return "bad body";
  return *source ? (*source)->ToString() : "local";
}

TEST(ProxyHeaderV2Test, ReadsTheSourceOfTcpOverIpv4AndIpv6) {
  EXPECT_EQ(SourceOf(HeaderV2(1, 0x11, {203, 0, 113, 7, 10, 0, 0, 1, 0x10, 0x92, 0x1F, 0x90})),
            "203.0.113.7:4242");
  std::vector<std::uint8_t> v6(36, 0);
  v6[0] = 0x20;
  v6[1] = 0x01;
  v6[2] = 0x0d;
  v6[3] = 0xb8;
  v6[15] = 1;
  v6[32] = 0x01;
  v6[33] = 0xBB;
  EXPECT_EQ(SourceOf(HeaderV2(1, 0x21, v6)), "[2001:db8::1]:443");
  // TLVs after the addresses are skipped.
  EXPECT_EQ(SourceOf(HeaderV2(1, 0x11, {1, 2, 3, 4, 5, 6, 7, 8, 0, 80, 0, 81, 0x04, 0, 1, 'x'})),
            "1.2.3.4:80");
  EXPECT_EQ(SourceOf(HeaderV2(0, 0x00, {})), "local");
  EXPECT_EQ(SourceOf(HeaderV2(1, 0x31, std::vector<std::uint8_t>(216, 0))), "local");  // unix
}

TEST(ProxyHeaderV2Test, RefusesWhatIsNotAHeader) {
  std::vector<std::uint8_t> http(16, 'G');
  EXPECT_EQ(SourceOf(http), "bad header");
  auto v1 = HeaderV2(1, 0x11, {});
  v1[12] = 0x11;  // version 1
  EXPECT_EQ(SourceOf(v1), "bad header");
  EXPECT_EQ(SourceOf(HeaderV2(1, 0x11, {1, 2, 3})), "bad body");
  EXPECT_EQ(SourceOf(HeaderV2(1, 0x11, std::vector<std::uint8_t>(600, 0))), "bad header");
}

}  // namespace
}  // namespace sig::edge
