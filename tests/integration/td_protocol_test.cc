// The td protocol end to end over real loopback WebSockets: each numbered behaviour of the
// foundation issue and README "The td protocol".

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/test_server.h"

namespace sig {
namespace {

using ::sig::testing::Str;
using ::testing::UnorderedElementsAre;
namespace json = boost::json;

std::vector<std::string> Clients(const json::value& login_success) {
  std::vector<std::string> out;
  for (const auto& v : login_success.at("clients").as_array()) {
    out.emplace_back(v.as_string().data(), v.as_string().size());
  }
  return out;
}

class TdProtocolTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    // Ordering tests send a thousand messages at once, over the default burst; the rate limit
    // has its own tests (hostile_ws_test.cc).
    limits_.rate_limit_burst = 100000;
    StartServer();
  }
};

TEST_F(TdProtocolTest, LoginListsEveryoneAndAnnouncesTheNewcomer) {
  auto a = LoggedIn("client-1");
  ASSERT_TRUE(a);
  auto b = Connect();
  ASSERT_TRUE(b);
  auto reply = b->Login("client-2");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(Str(*reply, "id"), "client-2");
  EXPECT_THAT(Clients(*reply), UnorderedElementsAre("client-1", "client-2"));
  auto note = a->ReadJson();
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_EQ(json::serialize(*note), R"({"type":"peer_connected","peer":"client-2"})");
}

TEST_F(TdProtocolTest, DisconnectIsAnnouncedOnceForCleanAndAbruptCloses) {
  auto watcher = LoggedIn("watcher");
  auto clean = LoggedIn("clean");
  auto abrupt = LoggedIn("abrupt");
  ASSERT_TRUE(watcher && clean && abrupt);
  ASSERT_TRUE(watcher->ReadType("peer_connected").ok());
  ASSERT_TRUE(watcher->ReadType("peer_connected").ok());
  ASSERT_TRUE(clean->Close().ok());
  auto left = watcher->ReadJson();
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(json::serialize(*left), R"({"type":"peer_disconnected","peer":"clean"})");
  abrupt->Abort();
  left = watcher->ReadJson();
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(json::serialize(*left), R"({"type":"peer_disconnected","peer":"abrupt"})");
  // Exactly once: the next thing the watcher sees is its own pong.
  ExpectPongNext(*watcher);
}

// Peers of one room that leave together are each sent the others' departures after their own
// connection ended. Those late frames must not keep the ended sessions alive (they did, and
// the churn benchmark saw the server's memory grow by every round).
TEST_F(TdProtocolTest, SessionsOfARoomThatLeavesAtOnceAreFreed) {
  std::vector<std::unique_ptr<testing::WsClient>> peers;
  for (int i = 0; i < 20; ++i) {
    peers.push_back(LoggedIn(absl::StrCat("p", i), "together"));
    ASSERT_TRUE(peers.back());
  }
  // Clean closes, all at once: each close handshake is in flight while the others' departures
  // are being delivered.
  std::vector<std::thread> closers;
  for (auto& peer : peers) closers.emplace_back([&peer] { EXPECT_TRUE(peer->Close().ok()); });
  for (auto& closer : closers) closer.join();
  EXPECT_TRUE(testing::Eventually([&] { return server_->state().live_sessions.load() == 0; }));
}

TEST_F(TdProtocolTest, NameTakenGetsErrorThen4000AndNameIsFreeOnceHolderIsGone) {
  auto holder = LoggedIn("dup");
  auto watcher = LoggedIn("watcher");
  ASSERT_TRUE(holder && watcher);
  auto second = Connect();
  ASSERT_TRUE(second->Send(R"({"type":"login","name":"dup"})").ok());
  auto error = second->ReadJson();
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(Str(*error, "type"), "error");
  EXPECT_EQ(Str(*error, "error"), "name_taken");
  auto code = second->WaitClose();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 4000);

  holder->Abort();
  ASSERT_TRUE(watcher->ReadType("peer_disconnected").ok());
  auto again = LoggedIn("dup");
  EXPECT_TRUE(again);
}

TEST_F(TdProtocolTest, RelayKeepsEveryFieldVerbatimAndStampsFrom) {
  auto a = LoggedIn("a");
  auto b = LoggedIn("b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->ReadType("peer_connected").ok());
  const std::string body =
      R"({"type":"offer","target":"b","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n",)"
      R"("n":1.50,"big":123456789012345678901234567890,"e":-2.5E-3,)"
      R"("nested":{"arr":[1,"two",{"three":null}],"t":true},"uni":"h\u00e9llo ☃ 😀",)"
      R"("from":"mallory"})";
  ASSERT_TRUE(a->Send(body).ok());
  auto got = b->Read();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got,
            R"({"type":"offer","target":"b","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n",)"
            R"("n":1.50,"big":123456789012345678901234567890,"e":-2.5E-3,)"
            R"("nested":{"arr":[1,"two",{"three":null}],"t":true},"uni":"h\u00e9llo ☃ 😀",)"
            R"("from":"a"})");
}

TEST_F(TdProtocolTest, UnknownTargetGetsTargetNotFound) {
  auto a = LoggedIn("a");
  ASSERT_TRUE(a->Send(R"({"type":"offer","target":"unknown-peer"})").ok());
  auto error = a->ReadJson();
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(Str(*error, "error"), "target_not_found");
  EXPECT_EQ(Str(*error, "target"), "unknown-peer");
}

TEST_F(TdProtocolTest, ThousandMessagesArriveInOrder) {
  auto a = LoggedIn("a");
  auto b = LoggedIn("b");
  ASSERT_TRUE(a && b);
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(a->Send(absl::StrCat(R"({"type":"candidate","target":"b","seq":)", i, "}")).ok());
  }
  for (int i = 0; i < kCount; ++i) {
    auto m = b->ReadJson();
    ASSERT_TRUE(m.ok()) << i << ": " << m.status();
    ASSERT_EQ(m->at("seq").as_int64(), i);
  }
}

TEST_F(TdProtocolTest, BroadcastTypesReachEveryOtherPeerButNotTheSender) {
  auto a = LoggedIn("a");
  auto b = LoggedIn("b");
  auto c = LoggedIn("c");
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(a->ReadType("peer_connected").ok());
  ASSERT_TRUE(a->ReadType("peer_connected").ok());
  ASSERT_TRUE(b->ReadType("peer_connected").ok());
  for (const char* type : {"stream_started", "stream_stopped", "stream_restored", "page_opened"}) {
    ASSERT_TRUE(a->Send(absl::StrCat(R"({"type":")", type, R"(","reason":"user_action"})")).ok());
    for (auto* peer : {b.get(), c.get()}) {
      auto m = peer->Read();
      ASSERT_TRUE(m.ok());
      EXPECT_EQ(*m, absl::StrCat(R"({"type":")", type, R"(","reason":"user_action","from":"a"})"));
    }
  }
  // The sender got none of its own: its next message is the pong.
  ExpectPongNext(*a);
}

TEST_F(TdProtocolTest, PingGetsPongWithServerTime) {
  auto a = LoggedIn("a");
  ASSERT_TRUE(a->Send(R"({"type":"ping"})").ok());
  auto pong = a->Read();
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(*pong, absl::StrCat(R"({"type":"pong","timestamp":)",
                                absl::ToUnixMillis(clock_.Now()), "}"));
}

TEST_F(TdProtocolTest, BadInputGetsAnErrorFrameAndTheConnectionLivesOn) {
  auto fresh = Connect();
  ASSERT_TRUE(fresh->Send(R"({"type":"offer","target":"x"})").ok());
  auto before_login = fresh->ReadJson();
  ASSERT_TRUE(before_login.ok());
  EXPECT_EQ(Str(*before_login, "error"), "not_logged_in");

  auto a = LoggedIn("a");
  const std::pair<const char*, const char*> cases[] = {
      {"{oops", "invalid_json"},
      {"[1,2,3]", "invalid_message"},
      {R"({"target":"b"})", "missing_type"},
      {R"({"type":"login","name":"again"})", "already_logged_in"},
      {R"({"type":"mystery"})", "unknown_type"},
      {R"({"type":"offer","target":42})", "invalid_target"},
  };
  for (const auto& [text, error] : cases) {
    ASSERT_TRUE(a->Send(text).ok());
    auto reply = a->ReadJson();
    ASSERT_TRUE(reply.ok()) << text << ": " << reply.status();
    EXPECT_EQ(Str(*reply, "type"), "error") << text;
    EXPECT_EQ(Str(*reply, "error"), error) << text;
    EXPECT_FALSE(Str(*reply, "message").empty()) << text;
  }
  ExpectPongNext(*a);
}

TEST_F(TdProtocolTest, RoomsAreSeparateRealms) {
  auto lobby = LoggedIn("lobby-peer");
  auto r1a = LoggedIn("a", "r1");
  ASSERT_TRUE(lobby && r1a);
  auto r1b = Connect();
  auto reply = r1b->Login("b", "r1");
  ASSERT_TRUE(reply.ok());
  EXPECT_THAT(Clients(*reply), UnorderedElementsAre("a", "b"));
  // The same name in another room is fine.
  auto r2a = LoggedIn("a", "r2");
  ASSERT_TRUE(r2a);
  // Targets resolve only inside the room.
  ASSERT_TRUE(r1b->Send(R"({"type":"offer","target":"lobby-peer"})").ok());
  auto miss = r1b->ReadJson();
  ASSERT_TRUE(miss.ok());
  EXPECT_EQ(Str(*miss, "error"), "target_not_found");
  ASSERT_TRUE(r1b->Send(R"({"type":"offer","target":"a"})").ok());
  // Broadcasts stay in the room.
  ASSERT_TRUE(r1b->Send(R"({"type":"page_opened"})").ok());
  auto joined = r1a->ReadJson();
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(json::serialize(*joined), R"({"type":"peer_connected","peer":"b"})");
  auto offer = r1a->ReadJson();
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(json::serialize(*offer), R"({"type":"offer","target":"a","from":"b"})");
  auto page = r1a->ReadJson();
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Str(*page, "type"), "page_opened");
  // Nothing from r1 reached the default room or r2: their next message is their pong.
  for (auto* other : {lobby.get(), r2a.get()}) {
    ExpectPongNext(*other);
  }
}

TEST_F(TdProtocolTest, HealthReportsClientsUptimeAndTimestamp) {
  auto a = LoggedIn("a");
  auto b = LoggedIn("b");
  clock_.Advance(absl::Milliseconds(1500));
  auto reply = testing::HttpGet(server_->port(), "/health");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->content_type, "application/json");
  json::value v = json::parse(reply->body);
  EXPECT_EQ(v.at("status").as_string(), "healthy");
  EXPECT_EQ(v.at("clientCount").as_int64(), 2);
  EXPECT_DOUBLE_EQ(v.at("uptime").to_number<double>(), 1.5);
  EXPECT_EQ(v.at("timestamp").as_string(), "2023-11-14T22:13:21.500Z");
  EXPECT_EQ(v.at("bus").as_string(), "disabled");  // a node alone
  auto missing = testing::HttpGet(server_->port(), "/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

// 200 peers in 100 pairs relay at once, each from its own thread: every message arrives, in
// order, at the right peer.
TEST_F(TdProtocolTest, TwoHundredPeersRelayConcurrently) {
  constexpr int kPairs = 100;
  constexpr int kMessages = 20;
  std::vector<std::unique_ptr<testing::WsClient>> left, right;
  for (int i = 0; i < kPairs; ++i) {
    left.push_back(LoggedIn(absl::StrCat("l", i), absl::StrCat("pair", i)));
    right.push_back(LoggedIn(absl::StrCat("r", i), absl::StrCat("pair", i)));
    ASSERT_TRUE(left.back() && right.back());
    ASSERT_TRUE(left.back()->ReadType("peer_connected").ok());
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kPairs; ++i) {
    threads.emplace_back([&, i] {
      auto& from = *left[static_cast<std::size_t>(i)];
      auto& to = *right[static_cast<std::size_t>(i)];
      for (int m = 0; m < kMessages; ++m) {
        if (!from.Send(absl::StrCat(R"({"type":"candidate","target":"r)", i, R"(","seq":)", m, "}"))
                 .ok()) {
          ++failures;
        }
      }
      for (int m = 0; m < kMessages; ++m) {
        auto got = to.ReadJson();
        if (!got.ok() || got->at("seq").as_int64() != m ||
            Str(*got, "from") != absl::StrCat("l", i)) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace sig
