#include "bus/scripts.h"

#include <memory>
#include <string>
#include <vector>

#include "bus/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/bus/redis_test.h"

namespace sig::bus {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

TEST(KeysTest, RealmsAndNamesCannotBreakTagsOrSeparators) {
  EXPECT_EQ(EncodeKeyPart("td/lobby"), "td/lobby");
  EXPECT_EQ(EncodeKeyPart("a{b}|c%d e\t\x7f"), "a%7Bb%7D%7Cc%25d%20e%09%7F");
  EXPECT_EQ(NameKey("td/{x}", "bob"), "sig:{td/%7Bx%7D}:n:bob");
  EXPECT_EQ(MembersKey("peerjs/k"), "sig:{peerjs/k}:m");
  EXPECT_EQ(RealmChannel("td/"), "sig:{td/}:ch");
  EXPECT_EQ(NodeKey(7), "sig:node:7");
  EXPECT_EQ(RealmOfChannel(RealmChannel("td/a{b} c%")), "td/a{b} c%");
  EXPECT_EQ(RealmOfChannel("sig:node:7"), "");
  EXPECT_EQ(NodeNamesKey(7), "sig:node:7:names");
}

// The scripts' semantics, one row per case of cluster-design.md 1.2, against a real Redis.
class ScriptsTest : public testing::RedisTest {
 protected:
  void SetUp() override {
    testing::RedisTest::SetUp();
    if (HasFatalFailure()) return;
    redis = Connected(Options());
    listener = Connected(Options());
    listener->OnMessage([this](std::string_view, std::string_view payload) {
      events.emplace_back(payload);
    });
    listener->Subscribe({RealmChannel(kRealm)});
    for (int node : {1, 2, 3}) Lease(node);
    // PUBLISH counts the subscribers that got it: 1 once the subscription is in place.
    ASSERT_TRUE(RunUntil([&] {
      auto reply = Run(*redis, {"PUBLISH", RealmChannel(kRealm), "ready"});
      return reply.ok() && reply->integer == 1;
    }));
    ASSERT_TRUE(RunUntil([&] { return !events.empty(); }));
    events.clear();
  }

  void Lease(int node) {
    ASSERT_EQ(Run(*redis, {"SET", NodeKey(static_cast<std::uint64_t>(node)), "token", "PX",
                           "60000"})->str,
              "OK");
  }

  // The reply's strings, or its integer as a string.
  std::vector<std::string> Claim(int node, int conn, std::string name, std::string token = "",
                                 int max_members = 100) {
    auto n = static_cast<std::uint64_t>(node);
    auto reply = RunScript(Scripts::Claim(), {NameKey(kRealm, name), MembersKey(kRealm), NodeNamesKey(n)},
                           {std::to_string(node), std::to_string(conn), token, name,
                            std::to_string(max_members), "1", RealmChannel(kRealm)});
    std::vector<std::string> out;
    if (!reply.ok()) return {reply.status().ToString()};
    if (reply->type != RedisReply::Type::kArray) return {"not an array: " + reply->str};
    for (const RedisReply& e : reply->elements) out.push_back(e.str);
    return out;
  }

  std::int64_t Release(int node, int conn, std::string name) {
    auto n = static_cast<std::uint64_t>(node);
    auto reply = RunScript(Scripts::Release(), {NameKey(kRealm, name), MembersKey(kRealm), NodeNamesKey(n)},
                           {std::to_string(node), std::to_string(conn), name, RealmChannel(kRealm)});
    return reply.ok() ? reply->integer : -1;
  }

  bus::RedisConnection::Reply RunScript(const Script& script, std::vector<std::string> keys,
                                        std::vector<std::string> args) {
    std::optional<bus::RedisConnection::Reply> reply;
    script.Run(*redis, keys, args, [&](bus::RedisConnection::Reply r) { reply = std::move(r); });
    EXPECT_TRUE(RunUntil([&] { return reply.has_value(); }));
    return reply.value_or(absl::DeadlineExceededError("no reply"));
  }

  // Waits for `n` announcements and returns them.
  std::vector<std::string> Events(std::size_t n) {
    EXPECT_TRUE(RunUntil([&] { return events.size() >= n; })) << events.size();
    return events;
  }

  static constexpr std::string_view kRealm = "td/room";
  std::shared_ptr<bus::RedisConnection> redis;
  std::shared_ptr<bus::RedisConnection> listener;
  std::vector<std::string> events;
};

TEST_F(ScriptsTest, AClaimIsUniqueUntilReleasedByItsOwner) {
  EXPECT_THAT(Claim(1, 10, "a"), ElementsAre("claimed", "", "a", "1|10|"));
  EXPECT_THAT(Claim(2, 20, "a"), ElementsAre("taken", "1|10|"));
  EXPECT_EQ(Release(2, 20, "a"), 0);  // not the owner
  EXPECT_EQ(Release(1, 11, "a"), 0);  // the owner's node, another connection
  EXPECT_EQ(Release(1, 10, "a"), 1);
  EXPECT_EQ(Release(1, 10, "a"), 0);  // idempotent
  EXPECT_THAT(Claim(2, 20, "a"), ElementsAre("claimed", "", "a", "2|20|"));
  EXPECT_THAT(Claim(1, 12, "b"), ElementsAre("claimed", "", "a", "2|20|", "b", "1|12|"));
  EXPECT_THAT(Events(4), ElementsAre("J\t1\t10\ta", "L\t1\t10\ta", "J\t2\t20\ta", "J\t1\t12\tb"));
  EXPECT_THAT(Run(*redis, {"SMEMBERS", NodeNamesKey(2)})->elements.size(), 1u);
}

TEST_F(ScriptsTest, TheSameTokenTakesANameOverAcrossNodesWithoutAJoinOrLeave) {
  EXPECT_THAT(Claim(1, 10, "p", "h1"), ElementsAre("claimed", "", "p", "1|10|h1"));
  EXPECT_THAT(Claim(2, 20, "p", "other"), ElementsAre("taken", "1|10|h1"));
  EXPECT_THAT(Claim(2, 21, "p", "h1"), ElementsAre("claimed", "1|10|h1", "p", "2|21|h1"));
  EXPECT_EQ(Release(1, 10, "p"), 0);  // the old connection's late release changes nothing
  // No leave and no second join: a takeover, which moves the name to its new connection in
  // every node's cache, and tells the old connection's node to close it.
  EXPECT_THAT(Events(2), ElementsAre("J\t1\t10\tp", "T\t2\t21\tp"));
  EXPECT_EQ(Run(*redis, {"SCARD", NodeNamesKey(1)})->integer, 0);
  EXPECT_EQ(Run(*redis, {"SCARD", NodeNamesKey(2)})->integer, 1);
}

TEST_F(ScriptsTest, ANameOfANodeWhoseLeaseIsGoneIsFreeAndItsLeaveAnnounced) {
  EXPECT_THAT(Claim(3, 30, "z"), ElementsAre("claimed", "", "z", "3|30|"));
  ASSERT_EQ(Run(*redis, {"DEL", NodeKey(3)})->integer, 1);  // node 3 died; its lease ran out
  EXPECT_THAT(Claim(1, 10, "z"), ElementsAre("claimed", "", "z", "1|10|"));
  EXPECT_THAT(Events(3), ElementsAre("J\t3\t30\tz", "L\t3\t30\tz", "J\t1\t10\tz"));
  EXPECT_EQ(Run(*redis, {"SCARD", NodeNamesKey(3)})->integer, 0);
}

TEST_F(ScriptsTest, ADeadNodesNamesAreReapedOnceEach) {
  ASSERT_EQ(Run(*redis, {"HSET", std::string(kNodesKey), "3", "info"})->integer, 1);
  EXPECT_THAT(Claim(3, 30, "x"), ElementsAre("claimed", "", "x", "3|30|"));
  EXPECT_THAT(Claim(3, 31, "y"), ElementsAre("claimed", "", "x", "3|30|", "y", "3|31|"));
  EXPECT_THAT(Claim(3, 32, "z"), ::testing::SizeIs(8));
  auto reap = [&](std::int64_t chunk) {
    auto reply = RunScript(Scripts::Reap(), {}, {"3", std::to_string(chunk)});
    return reply.ok() ? reply->integer : -2;
  };
  EXPECT_EQ(reap(500), -1);  // alive: nothing is touched
  ASSERT_EQ(Run(*redis, {"DEL", NodeKey(3)})->integer, 1);
  // z is claimed by a live node before the reaper comes: the claim announced z's leave.
  EXPECT_THAT(Claim(1, 10, "z"), ::testing::SizeIs(8));
  EXPECT_EQ(reap(1), 1);
  EXPECT_EQ(reap(500), 1);
  EXPECT_EQ(reap(500), 0);
  std::vector<std::string> got = Events(7);
  EXPECT_THAT(std::vector<std::string>(got.begin() + 3, got.end()),
              UnorderedElementsAre("L\t3\t32\tz", "J\t1\t10\tz", "L\t3\t30\tx",
                                   "L\t3\t31\ty"));
  EXPECT_EQ(Run(*redis, {"HEXISTS", std::string(kNodesKey), "3"})->integer, 0);
  EXPECT_EQ(Run(*redis, {"HLEN", MembersKey(kRealm)})->integer, 1);  // z, now node 1's
}

TEST_F(ScriptsTest, AFullRealmAndAFencedNodeAreRefused) {
  EXPECT_THAT(Claim(1, 10, "a", "", 1), ElementsAre("claimed", "", "a", "1|10|"));
  EXPECT_THAT(Claim(2, 20, "b", "", 1), ElementsAre("full"));
  EXPECT_THAT(Claim(9, 90, "c"), ElementsAre("fenced"));  // node 9 holds no lease
  EXPECT_THAT(Events(1), ElementsAre("J\t1\t10\ta"));
}

TEST_F(ScriptsTest, ALeaseIsRefreshedOnlyByItsIncarnation) {
  auto refresh = [&](std::string token) {
    auto reply = RunScript(Scripts::RefreshLease(), {NodeKey(1)}, {token, "5000"});
    return reply.ok() ? reply->integer : -1;
  };
  EXPECT_EQ(refresh("token"), 1);
  EXPECT_EQ(refresh("an earlier life"), 0);
  auto ttl = Run(*redis, {"PTTL", NodeKey(1)});
  EXPECT_LE(ttl->integer, 5000);
  EXPECT_GT(ttl->integer, 4000);
}

TEST_F(ScriptsTest, ScriptsSurviveRedisForgettingThem) {
  EXPECT_THAT(Claim(1, 10, "a"), ElementsAre("claimed", "", "a", "1|10|"));
  ASSERT_EQ(Run(*redis, {"SCRIPT", "FLUSH"})->str, "OK");
  EXPECT_THAT(Claim(1, 11, "b"), ElementsAre("claimed", "", "a", "1|10|", "b", "1|11|"));
}

}  // namespace
}  // namespace sig::bus
