// Hostile WebSocket clients over real sockets, each at the edge of its bound: a flood from one
// peer (rate limit: slowed, then 1008), JSON nested thousands deep, connections beyond max_connections (503
// before the upgrade), and upgrades from an Origin outside allowed_origins (403). Each gets its
// defined outcome and a metric, and a bystander pair keeps relaying.

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/labels.h"
#include "testing/bystander_test.h"
#include "testing/eventually.h"

namespace sig {
namespace {

using ::sig::testing::Str;
using Protocol = core::Protocol;

class HostileWsTest : public testing::BystanderTest {
 protected:
  // A WebSocket upgrade of "/" (td) over plain HTTP, with `extra` headers.
  absl::StatusOr<testing::HttpReply> Upgrade(
      std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Connection", "Upgrade"},
        {"Upgrade", "websocket"},
        {"Sec-WebSocket-Version", "13"},
        {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return testing::HttpRequest(server_->port(), "GET", "/", headers);
  }

  std::uint64_t Rejections(Protocol p, std::string_view reason) {
    return server_->state().stats.rejections(
        core::ProtocolIndex(p), testing::LabelIndex(core::Stats::kRejections, reason));
  }
};

std::string Candidate(int n) {
  return absl::StrCat(R"({"type":"candidate","target":"target","n":)", n, "}");
}

// The clock is fake: the bucket refills only when the test moves it. Exactly rate_limit_burst
// messages pass at once (the login is one of them); the next ones wait, unread, until their
// tokens come, and then every one of them is relayed, in order: a burst is slowed, never cut.
TEST_F(HostileWsTest, ABurstOverTheRateIsSlowedAndNothingIsLost) {
  limits_.rate_limit_burst = 20;
  limits_.rate_limit_per_second = 10;  // a token per 100 ms
  StartServer();
  StartBystanders();
  auto flooder = LoggedIn("flooder");
  auto target = LoggedIn("target");
  ASSERT_TRUE(flooder && target);
  ASSERT_TRUE(flooder->ReadType("peer_connected").ok());
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(flooder->Send(Candidate(i)).ok());
  for (int i = 0; i < 19; ++i) {  // 1 login + 19 = the burst
    auto got = target->ReadType("candidate");
    ASSERT_TRUE(got.ok()) << i << ": " << got.status();
    EXPECT_EQ(got->at("n").as_int64(), i);
  }
  // The 20th waits for a token that never comes while the clock stands still.
  EXPECT_FALSE(target->Read(absl::Milliseconds(300)).ok());
  EXPECT_GE(server_->state().stats.rate_limit_waits(), 1u);
  clock_.Advance(absl::Milliseconds(600));  // six tokens: the six waiting messages
  for (int i = 19; i < 25; ++i) {
    auto got = target->ReadType("candidate");
    ASSERT_TRUE(got.ok()) << i << ": " << got.status();
    EXPECT_EQ(got->at("n").as_int64(), i);
  }
  EXPECT_EQ(server_->state().stats.rate_limited(), 0u);
  clock_.Advance(absl::Seconds(1));
  ExpectPongNext(*flooder);  // still connected
  ExpectBystandersRelay();
}

// A peer that stays over its rate is closed with 1008 once it has been over it for
// rate_limit_grace: the clock moves one token at a time, and the test moves it again only once
// the message that waited for the last token has been relayed, so every message waits.
TEST_F(HostileWsTest, APeerOverTheRateForTheGraceIsClosed1008AtItsEdge) {
  limits_.rate_limit_burst = 1;
  limits_.rate_limit_per_second = 10;
  limits_.rate_limit_grace = absl::Seconds(1);
  StartServer();
  StartBystanders();
  auto target = LoggedIn("target");
  auto flooder = LoggedIn("flooder");  // the login takes the only token
  ASSERT_TRUE(flooder && target);
  ASSERT_TRUE(target->ReadType("peer_connected").ok());
  for (int i = 0; i < 15; ++i) ASSERT_TRUE(flooder->Send(Candidate(i)).ok());
  // Over the rate from the first candidate, at the clock's start. Each 100 ms lets one through
  // and the next one waits (counted once per message); the tenth comes at exactly one grace,
  // and the message after it closes the peer.
  const core::Stats& stats = server_->state().stats;
  ASSERT_TRUE(testing::Eventually([&] { return stats.rate_limit_waits() == 1; }));
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(absl::Milliseconds(100));
    auto got = target->ReadType("candidate");
    ASSERT_TRUE(got.ok()) << i << ": " << got.status();
    EXPECT_EQ(got->at("n").as_int64(), i);
    if (i < 9) {
      ASSERT_TRUE(testing::Eventually([&] { return stats.rate_limit_waits() == static_cast<std::uint64_t>(i) + 2; })) << i;
    }
  }
  auto code = flooder->WaitClose();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1008);
  EXPECT_EQ(server_->state().stats.rate_limited(), 1u);
  // Nothing after the close was relayed: the target hears the departure next.
  auto left = target->ReadJson();
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(Str(*left, "type"), "peer_disconnected");
  ExpectBystandersRelay();
}

// JSON nested 5,000 deep (10 KB, inside the frame bound) is refused as invalid_json with an
// error frame; the connection stays, and the bad frame is counted.
TEST_F(HostileWsTest, JsonNestedThousandsDeepGetsInvalidJsonAndTheConnectionStays) {
  StartServer();
  StartBystanders();
  auto a = LoggedIn("a");
  auto b = LoggedIn("b");
  ASSERT_TRUE(a && b);
  const std::string deep = R"({"type":"offer","target":"b","x":)" + std::string(5000, '[') +
                           std::string(5000, ']') + "}";
  ASSERT_TRUE(a->Send(deep).ok());
  auto error = a->ReadType("error");
  ASSERT_TRUE(error.ok()) << error.status();
  EXPECT_EQ(Str(*error, "error"), "invalid_json");
  EXPECT_EQ(server_->state().stats.bad_frames(
                core::ProtocolIndex(sig::v1::PROTOCOL_TD),
                testing::LabelIndex(core::Stats::kBadFrames, "invalid_json")),
            1u);
  // Still connected and relaying; b never saw the deep frame.
  ASSERT_TRUE(a->Send(R"({"type":"offer","target":"b","ok":true})").ok());
  auto got = b->ReadType("offer");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->at("ok").as_bool(), true);
  ExpectBystandersRelay();
}

// max_connections WebSockets are served; one more upgrade gets 503 before any WebSocket state
// exists; once one leaves, a new one gets in.
TEST_F(HostileWsTest, UpgradeBeyondMaxConnectionsGets503) {
  limits_.max_connections = 3;
  StartServer();
  StartBystanders();  // two of the three
  auto third = LoggedIn("third");
  ASSERT_TRUE(third);
  auto refused = Upgrade();
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->body, R"({"error":"too many connections"})");
  EXPECT_EQ(Rejections(sig::v1::PROTOCOL_TD, "max_connections"), 1u);
  ExpectBystandersRelay();

  ASSERT_TRUE(third->Close().ok());
  ASSERT_TRUE(testing::Eventually([&] { return server_->state().live_sessions.load() < 3; }));
  auto fourth = LoggedIn("fourth");
  EXPECT_TRUE(fourth);
}

// One address may hold max_connections_per_ip WebSockets; one more upgrade from it gets 503
// before any WebSocket state exists, counted; once one leaves, a new one gets in.
TEST_F(HostileWsTest, UpgradeBeyondMaxConnectionsPerAddressGets503) {
  limits_.max_connections_per_ip = 3;
  StartServer();
  StartBystanders();  // two of the three, all from 127.0.0.1
  auto third = LoggedIn("third");
  ASSERT_TRUE(third);
  auto refused = Upgrade();
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->body, R"({"error":"too many connections from this address"})");
  EXPECT_EQ(Rejections(sig::v1::PROTOCOL_TD, "max_connections_per_ip"), 1u);
  EXPECT_EQ(Rejections(sig::v1::PROTOCOL_TD, "max_connections"), 0u);
  ExpectBystandersRelay();

  ASSERT_TRUE(third->Close().ok());
  ASSERT_TRUE(testing::Eventually([&] { return server_->state().live_sessions.load() < 3; }));
  auto fourth = LoggedIn("fourth");
  EXPECT_TRUE(fourth);
}

// RFC 6455 section 4.2.1: a key that is not 16 bytes of base64, two keys, or two Upgrade
// headers get 400, counted, and no WebSocket.
TEST_F(HostileWsTest, MalformedOpeningHandshakesGet400) {
  StartServer();
  StartBystanders();
  const std::vector<std::vector<std::pair<std::string, std::string>>> bad = {
      {{"Sec-WebSocket-Key", "c2hvcnQ="}},  // five bytes
      {{"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ!!"}},
      {{"Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA=="}, {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}},
      {{"Upgrade", "websocket"}},  // a second Upgrade
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Connection", "Upgrade"}, {"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}};
    bool has_key = false;
    for (const auto& header : bad[i]) has_key = has_key || header.first == "Sec-WebSocket-Key";
    if (!has_key) headers.emplace_back("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    headers.insert(headers.end(), bad[i].begin(), bad[i].end());
    auto reply = testing::HttpRequest(server_->port(), "GET", "/", headers);
    ASSERT_TRUE(reply.ok()) << i << ": " << reply.status();
    EXPECT_EQ(reply->status, 400) << i << ": " << reply->body;
  }
  EXPECT_EQ(Rejections(sig::v1::PROTOCOL_TD, "bad_handshake"), bad.size());
  auto good = Upgrade();
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->status, 101);
  ExpectBystandersRelay();
}

// With allowed_origins set, an upgrade from another Origin gets 403; an allowed Origin and a
// request without Origin (not from a web page) are served.
TEST_F(HostileWsTest, UpgradeFromAnOriginOutsideTheAllowListGets403) {
  allowed_origins_ = {"https://app.example"};
  StartServer();
  StartBystanders();  // WsClient sends no Origin
  auto refused = Upgrade({{"Origin", "https://evil.example"}});
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->body, R"({"error":"origin not allowed"})");
  EXPECT_EQ(Rejections(sig::v1::PROTOCOL_TD, "origin"), 1u);
  auto allowed = Upgrade({{"Origin", "https://app.example"}});
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(allowed->status, 101);
  ExpectBystandersRelay();
}

}  // namespace
}  // namespace sig
