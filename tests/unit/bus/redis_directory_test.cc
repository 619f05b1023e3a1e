#include "bus/redis_directory.h"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bus/keys.h"
#include "bus/redis_link.h"
#include "gtest/gtest.h"
#include "testing/fake_peer.h"
#include "unit/bus/redis_test.h"

namespace sig::bus {
namespace {

class RedisDirectoryTest : public testing::RedisTest {};

// A claim's reply and another node's announcement arrive on different connections, so the
// announcement of a join that Redis ran after this claim can be read first. Redis is paused for
// scripts so that the claim is surely in flight when the announcement comes; the claim's
// snapshot then lacks the other node's member, and only the announcement tells of it.
TEST_F(RedisDirectoryTest, AnAnnouncementThatBeatsTheClaimsReplyIsApplied) {
  RedisLink::Options options;
  options.address = Options().address;
  auto link = RedisLink::Create(io_.get_executor(), options);
  link->Start();
  ASSERT_TRUE(RunUntil([&] { return link->up(); }));
  auto admin = Connected(Options());
  ASSERT_EQ(Run(*admin, {"SET", NodeKey(1), "lease"})->str, "OK");  // node 1 holds its lease
  RedisDirectory directory(io_.get_executor(), link, 1);
  directory.SetLeaseHeld(true);

  ASSERT_EQ(Run(*admin, {"CLIENT", "PAUSE", "1000", "WRITE"})->str, "OK");
  auto alice = std::make_shared<testing::FakePeer>();
  std::optional<core::ClaimOutcome> outcome;
  core::ClaimRequest request;
  request.realm = "td/r";
  request.name = "alice";
  request.conn_id = 10;
  request.peer = alice;
  directory.Claim(request, [&](core::ClaimResult result) { outcome = result.outcome; });
  // Subscribed to the realm's channel, so the claim script is on its way (and paused).
  ASSERT_TRUE(RunUntil([&] {
    auto numsub = Run(*admin, {"PUBSUB", "NUMSUB", RealmChannel("td/r")});
    return numsub.ok() && numsub->elements.size() == 2 && numsub->elements[1].integer == 1;
  }));
  // 100 ms more of the io_context: the confirmation reaches the directory, which sends the claim.
  RunUntil([] { return false; }, std::chrono::milliseconds(100));
  ASSERT_FALSE(outcome.has_value());
  directory.OnRealmMessage("td/r", "J\t2\t20\tbob");  // bob joined on node 2, after the claim

  ASSERT_TRUE(RunUntil([&] { return outcome.has_value(); }));
  EXPECT_EQ(*outcome, core::ClaimOutcome::kClaimed);
  const core::Holder bob = directory.Lookup("td/r", "bob");
  EXPECT_EQ(bob.node, 2u);
  EXPECT_EQ(bob.conn_id, 20u);
  link->Stop();
}

class RecordingSink : public core::MembershipSink {
 public:
  struct Change {
    core::MembershipChange::Kind kind;
    std::string name;
    bool remote;
  };
  void OnMembershipChange(const core::MembershipChange& change,
                          std::span<const std::shared_ptr<core::Peer>>) override {
    changes.push_back(Change{change.kind, std::string(change.name), change.remote});
  }
  void OnClaimedElsewhere(std::string_view, std::string_view, core::NodeId) override {}
  std::vector<Change> changes;
};

// What the sink publishes as this node's events must be this node's members only: another
// node's joins and leaves, and a takeover of a local name from elsewhere, are marked remote.
TEST_F(RedisDirectoryTest, OtherNodesChangesAreReportedAsRemote) {
  RedisLink::Options options;
  options.address = Options().address;
  auto link = RedisLink::Create(io_.get_executor(), options);
  link->Start();
  ASSERT_TRUE(RunUntil([&] { return link->up(); }));
  auto admin = Connected(Options());
  ASSERT_EQ(Run(*admin, {"SET", NodeKey(1), "lease"})->str, "OK");
  RedisDirectory directory(io_.get_executor(), link, 1);
  RecordingSink sink;
  directory.SetSink(&sink);
  directory.SetLeaseHeld(true);

  auto alice = std::make_shared<testing::FakePeer>();
  std::optional<core::ClaimOutcome> outcome;
  core::ClaimRequest request;
  request.realm = "td/r";
  request.name = "alice";
  request.conn_id = 10;
  request.peer = alice;
  directory.Claim(request, [&](core::ClaimResult result) { outcome = result.outcome; });
  ASSERT_TRUE(RunUntil([&] { return outcome.has_value(); }));
  ASSERT_EQ(*outcome, core::ClaimOutcome::kClaimed);
  directory.OnRealmMessage("td/r", "J\t2\t20\tbob");
  directory.OnRealmMessage("td/r", "L\t2\t20\tbob");
  directory.OnRealmMessage("td/r", "T\t2\t21\talice");

  ASSERT_EQ(sink.changes.size(), 4u);
  EXPECT_EQ(sink.changes[0].name, "alice");
  EXPECT_FALSE(sink.changes[0].remote);
  EXPECT_EQ(sink.changes[1].name, "bob");
  EXPECT_EQ(sink.changes[1].kind, core::MembershipChange::Kind::kJoined);
  EXPECT_TRUE(sink.changes[1].remote);
  EXPECT_EQ(sink.changes[2].kind, core::MembershipChange::Kind::kLeft);
  EXPECT_TRUE(sink.changes[2].remote);
  EXPECT_EQ(sink.changes[3].name, "alice");
  EXPECT_TRUE(sink.changes[3].remote);
  link->Stop();
}

}  // namespace
}  // namespace sig::bus
