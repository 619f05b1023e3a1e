#include "edge/upgrade_request.h"

#include <string>

#include "gtest/gtest.h"

namespace sig::edge {
namespace {

namespace http = boost::beast::http;

HttpRequest Upgrade(const std::string& key) {
  HttpRequest request{http::verb::get, "/", 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::sec_websocket_version, "13");
  request.set(http::field::sec_websocket_key, key);
  return request;
}

TEST(CheckUpgradeRequestTest, AcceptsTheRfcExampleKey) {
  EXPECT_TRUE(CheckUpgradeRequest(Upgrade("dGhlIHNhbXBsZSBub25jZQ==")).ok());
  EXPECT_TRUE(CheckUpgradeRequest(Upgrade("AAAAAAAAAAAAAAAAAAAAAA==")).ok());
  EXPECT_TRUE(CheckUpgradeRequest(Upgrade("+/+/+/+/+/+/+/+/+/+/+w==")).ok());
}

TEST(CheckUpgradeRequestTest, RefusesKeysThatAreNotSixteenBytesOfBase64) {
  for (const std::string key :
       {"", "x", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===",
        "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQAA", "dGhlIHNhbXBsZSBub25jZ!==",
        "dGhlIHNhbXBsZSBub25j ZQ==", "dGhlIHNhbXBsZSBub25jZSBub25jZQ=="}) {
    EXPECT_FALSE(CheckUpgradeRequest(Upgrade(key)).ok()) << "'" << key << "'";
  }
}

TEST(CheckUpgradeRequestTest, RefusesTwoKeysOrTwoUpgradeHeaders) {
  HttpRequest two_keys = Upgrade("dGhlIHNhbXBsZSBub25jZQ==");
  two_keys.insert(http::field::sec_websocket_key, "AAAAAAAAAAAAAAAAAAAAAA==");
  EXPECT_FALSE(CheckUpgradeRequest(two_keys).ok());
  HttpRequest two_upgrades = Upgrade("dGhlIHNhbXBsZSBub25jZQ==");
  two_upgrades.insert(http::field::upgrade, "websocket");
  EXPECT_FALSE(CheckUpgradeRequest(two_upgrades).ok());
  HttpRequest no_key = Upgrade("dGhlIHNhbXBsZSBub25jZQ==");
  no_key.erase(http::field::sec_websocket_key);
  EXPECT_FALSE(CheckUpgradeRequest(no_key).ok());
}

}  // namespace
}  // namespace sig::edge
