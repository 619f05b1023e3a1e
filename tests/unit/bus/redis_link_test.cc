#include "bus/redis_link.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bus/keys.h"
#include "bus/node_lease.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/bus/redis_test.h"

namespace sig::bus {
namespace {

class RedisLinkTest : public testing::RedisTest {
 protected:
  std::shared_ptr<RedisLink> Link() {
    RedisLink::Options options;
    options.address = Options().address;
    options.backoff_max = absl::Milliseconds(200);
    auto link = RedisLink::Create(io_.get_executor(), options);
    link->OnUp([this] { ++ups; });
    link->OnDown([this](absl::Status) { ++downs; });
    link->OnMessage([this](std::string_view channel, std::string_view payload) {
      messages.push_back(std::string(channel) + "=" + std::string(payload));
    });
    return link;
  }

  // Publishes on `channel` until one subscriber has it.
  bool PublishUntilHeard(RedisConnection& publisher, const std::string& channel) {
    return RunUntil([&] {
      auto reply = Run(publisher, {"PUBLISH", channel, "hello"});
      return reply.ok() && reply->integer == 1;
    });
  }

  // Subscribers of `channel` on the Redis server.
  std::int64_t NumSub(RedisConnection& admin, const std::string& channel) {
    auto reply = Run(admin, {"PUBSUB", "NUMSUB", channel});
    return reply.ok() && reply->elements.size() == 2 ? reply->elements[1].integer : -1;
  }

  int ups = 0;
  int downs = 0;
  std::vector<std::string> messages;
};

TEST_F(RedisLinkTest, ComesBackAfterRedisRestartsAndSubscribesAgain) {
  auto link = Link();
  link->Subscribe("sig:node:1");
  link->Start();
  ASSERT_TRUE(RunUntil([&] { return link->up(); }));
  EXPECT_EQ(ups, 1);
  {
    auto publisher = Connected(Options());
    ASSERT_TRUE(PublishUntilHeard(*publisher, "sig:node:1"));
  }
  std::optional<RedisConnection::Reply> reply;
  ASSERT_TRUE(redis_->Kill().ok());
  ASSERT_TRUE(RunUntil([&] { return downs == 1; }));
  EXPECT_FALSE(link->up());
  link->Command({"PING"}, [&](RedisConnection::Reply r) { reply = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return reply.has_value(); }));
  EXPECT_EQ(reply->status().code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE(redis_->Restart().ok());
  ASSERT_TRUE(RunUntil([&] { return link->up(); }));
  EXPECT_EQ(ups, 2);
  EXPECT_EQ(link->reconnects(), 1u);
  auto publisher = Connected(Options());
  messages.clear();
  ASSERT_TRUE(PublishUntilHeard(*publisher, "sig:node:1"));  // subscribed again
  ASSERT_TRUE(RunUntil([&] { return !messages.empty(); }));
  EXPECT_EQ(messages.front(), "sig:node:1=hello");
  reply.reset();
  link->Command({"PING"}, [&](RedisConnection::Reply r) { reply = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return reply.has_value(); }));
  EXPECT_EQ((*reply)->str, "PONG");
  link->Stop();
}

// A channel left and taken again before Redis confirmed the leave, many times over and with
// the last other channel going, must end subscribed (hiredis 0.14.1 would drop the callback or
// leave subscriber mode if both commands were in flight together) and keep the link working.
TEST_F(RedisLinkTest, ChannelsAreLeftAndTakenAgainSafely) {
  auto link = Link();
  link->Start();
  ASSERT_TRUE(RunUntil([&] { return link->up(); }));
  auto admin = Connected(Options());
  int confirmed = 0;
  for (int i = 0; i < 50; ++i) {
    link->Subscribe("sig:realm:a", [&] { ++confirmed; });
    link->Subscribe("sig:realm:b");
    link->Unsubscribe("sig:realm:a");  // someone waits for its confirmation: stays
    link->Unsubscribe("sig:realm:b");  // the only other channel but the anchor
  }
  ASSERT_TRUE(RunUntil([&] { return confirmed == 50; }));
  link->Unsubscribe("sig:realm:a");
  link->Subscribe("sig:realm:a", [&] { ++confirmed; });  // before the leave is confirmed
  ASSERT_TRUE(RunUntil([&] { return confirmed == 51; }));
  EXPECT_EQ(link->subscriptions(), 2u);  // the anchor and a
  EXPECT_EQ(NumSub(*admin, "sig:realm:a"), 1);
  EXPECT_EQ(NumSub(*admin, std::string(RedisLink::kAnchorChannel)), 1);
  ASSERT_TRUE(RunUntil([&] { return NumSub(*admin, "sig:realm:b") == 0; }));
  messages.clear();
  ASSERT_TRUE(PublishUntilHeard(*admin, "sig:realm:a"));
  ASSERT_TRUE(RunUntil([&] { return !messages.empty(); }));
  EXPECT_EQ(messages.front(), "sig:realm:a=hello");

  link->Unsubscribe("sig:realm:a");
  ASSERT_TRUE(RunUntil([&] { return NumSub(*admin, "sig:realm:a") == 0; }));
  EXPECT_EQ(link->subscriptions(), 1u);
  std::optional<RedisConnection::Reply> reply;
  link->Command({"PING"}, [&](RedisConnection::Reply r) { reply = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return reply.has_value(); }));
  EXPECT_EQ((*reply)->str, "PONG");
  link->Stop();
}

TEST_F(RedisLinkTest, KeepsTryingWhileRedisIsAway) {
  ASSERT_TRUE(redis_->Kill().ok());
  auto link = Link();
  link->Start();
  // Nothing to reach: no up, and attempts continue (a wait of io time, bounded by RunUntil).
  EXPECT_FALSE(RunUntil([&] { return link->up(); }, std::chrono::milliseconds(500)));
  ASSERT_TRUE(redis_->Restart().ok());
  ASSERT_TRUE(RunUntil([&] { return link->up(); }));
  EXPECT_EQ(ups, 1);
  link->Stop();
}

class NodeLeaseTest : public RedisLinkTest {
 protected:
  static constexpr absl::Duration kLease = absl::Milliseconds(600);

  // A lease for `node` over a link that is up, counting its handlers' calls, started.
  std::shared_ptr<NodeLease> Started(std::uint64_t node) {
    link = Link();
    link->Start();
    EXPECT_TRUE(RunUntil([&] { return link->up(); }));
    auto lease = NodeLease::Create(io_.get_executor(), link, node, kLease);
    lease->OnHeld([this] { ++held; });
    lease->OnFenced([this] { ++fenced; });
    lease->Start();
    EXPECT_TRUE(RunUntil([&] { return lease->held(); }));
    return lease;
  }

  std::shared_ptr<RedisLink> link;
  int held = 0;
  int fenced = 0;
};

TEST_F(NodeLeaseTest, IsTakenRefreshedAndGivenBackAtStop) {
  auto lease = Started(42);
  ASSERT_EQ(held, 1);
  auto redis = Connected(Options());
  EXPECT_EQ(Run(*redis, {"GET", NodeKey(42)})->str, lease->token());
  // Three leases' worth of time later it is still there: refreshed, not re-taken.
  const auto until = std::chrono::steady_clock::now() + 3 * absl::ToChronoMilliseconds(kLease);
  RunUntil([&] { return std::chrono::steady_clock::now() > until; });
  EXPECT_EQ(Run(*redis, {"GET", NodeKey(42)})->str, lease->token());
  EXPECT_TRUE(lease->held());
  EXPECT_EQ(held, 1);
  lease->Stop();
  ASSERT_TRUE(RunUntil([&] { return Run(*redis, {"EXISTS", NodeKey(42)})->integer == 0; }));
  link->Stop();
}

TEST_F(NodeLeaseTest, ANodeCutOffFencesItselfAndTakesTheLeaseAgainLater) {
  auto lease = Started(7);
  ASSERT_EQ(held, 1);
  ASSERT_TRUE(redis_->Kill().ok());
  ASSERT_TRUE(RunUntil([&] { return fenced == 1; }));
  EXPECT_FALSE(lease->held());
  ASSERT_TRUE(redis_->Restart().ok());  // empty: no persistence
  ASSERT_TRUE(RunUntil([&] { return held == 2; }));
  auto redis = Connected(Options());
  EXPECT_EQ(Run(*redis, {"GET", NodeKey(7)})->str, lease->token());
  EXPECT_EQ(fenced, 1);
  lease->Stop();
  link->Stop();
}

}  // namespace
}  // namespace sig::bus
