#include "core/local_directory.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/core_fixtures.h"
#include "testing/fake_peer.h"

namespace sig::core {
namespace {

using ::sig::testing::Claim;
using ::sig::testing::ClaimNow;
using ::sig::testing::FakePeer;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// Records what the directory reports: "joined:a/2" is a's join with two other members.
class RecordingSink final : public MembershipSink {
 public:
  void OnMembershipChange(const MembershipChange& change,
                          std::span<const std::shared_ptr<Peer>> others) override {
    MutexLock lock(&mu_);
    std::string kind = change.kind == MembershipChange::Kind::kJoined ? "joined:" : "left:";
    if (change.takeover) kind = "taken over:";
    changes_.push_back(kind + std::string(change.name) + "/" + std::to_string(others.size()));
  }
  void OnClaimedElsewhere(std::string_view, std::string_view, NodeId) override {}
  std::vector<std::string> Changes() const {
    MutexLock lock(&mu_);
    return changes_;
  }

 private:
  mutable Mutex mu_;
  std::vector<std::string> changes_ ABSL_GUARDED_BY(mu_);
};

class LocalDirectoryTest : public ::testing::Test {
 protected:
  LocalDirectoryTest() { directory_.SetSink(&sink_); }

  std::shared_ptr<FakePeer> Claimed(std::string_view realm, std::string_view name,
                                    std::uint64_t id, std::string_view token = {}) {
    auto peer = std::make_shared<FakePeer>();
    EXPECT_EQ(ClaimNow(directory_, Claim(realm, name, id, peer, nullptr, token)).outcome,
              ClaimOutcome::kClaimed);
    return peer;
  }

  RecordingSink sink_;
  LocalDirectory directory_;
};

TEST_F(LocalDirectoryTest, ClaimListsEveryNameAndReportsTheJoin) {
  auto a = Claimed("td/", "a", 1);
  auto b = std::make_shared<FakePeer>();
  ClaimResult result = ClaimNow(directory_, Claim("td/", "b", 2, b, nullptr));
  ASSERT_EQ(result.outcome, ClaimOutcome::kClaimed);
  EXPECT_THAT(result.names, UnorderedElementsAre("a", "b"));
  EXPECT_THAT(sink_.Changes(), ElementsAre("joined:a/0", "joined:b/1"));
  EXPECT_EQ(directory_.size(), 2u);
}

TEST_F(LocalDirectoryTest, TakenNameIsRefusedAndFreeAfterRelease) {
  auto a = Claimed("td/", "a", 1);
  auto other = std::make_shared<FakePeer>();
  EXPECT_EQ(ClaimNow(directory_, Claim("td/", "a", 2, other, nullptr)).outcome,
            ClaimOutcome::kTaken);
  directory_.Release("td/", "a", 1, LeaveNotice::kEveryone);
  EXPECT_EQ(ClaimNow(directory_, Claim("td/", "a", 2, other, nullptr)).outcome,
            ClaimOutcome::kClaimed);
}

TEST_F(LocalDirectoryTest, ReleaseIsReportedOnceAndIgnoresOtherConnections) {
  auto a = Claimed("td/", "a", 1);
  auto b = Claimed("td/", "b", 2);
  directory_.Release("td/", "b", 99, LeaveNotice::kEveryone);  // not b's connection: ignored
  directory_.Release("td/", "b", 2, LeaveNotice::kEveryone);
  directory_.Release("td/", "b", 2, LeaveNotice::kEveryone);   // idempotent
  EXPECT_THAT(sink_.Changes(), ElementsAre("joined:a/0", "joined:b/1", "left:b/1"));
  EXPECT_EQ(directory_.size(), 1u);
}

TEST_F(LocalDirectoryTest, LookupFindsOnlyTheHolderInItsRealm) {
  auto a = Claimed("td/", "a", 1);
  auto b = Claimed("td/room", "b", 2);
  Holder holder = directory_.Lookup("td/", "a");
  EXPECT_EQ(holder.peer, a);
  EXPECT_EQ(holder.conn_id, 1u);
  EXPECT_FALSE(directory_.Lookup("td/", "nobody").found());
  EXPECT_FALSE(directory_.Lookup("td/", "b").found());
  {
    auto gone = Claimed("td/", "gone", 3);
  }  // the connection object died without a release
  EXPECT_FALSE(directory_.Lookup("td/", "gone").found());
}

TEST_F(LocalDirectoryTest, RealmsAreSeparateNamespaces) {
  auto a1 = Claimed("td/r1", "a", 1);
  auto a2 = Claimed("td/r2", "a", 2);
  auto b1 = std::make_shared<FakePeer>();
  ClaimResult result = ClaimNow(directory_, Claim("td/r1", "b", 3, b1, nullptr));
  EXPECT_THAT(result.names, UnorderedElementsAre("a", "b"));
  std::vector<std::string> members;
  directory_.ForEachLocalMember("td/r2", [&](std::string_view name, Peer&) {
    members.emplace_back(name);
  });
  EXPECT_THAT(members, ElementsAre("a"));
}

TEST_F(LocalDirectoryTest, NamesAreInClaimOrderAndARealmIsDroppedWhenEmpty) {
  auto z = Claimed("peerjs/k", "z", 1);
  auto a = Claimed("peerjs/k", "a", 2);
  auto m = Claimed("peerjs/k", "m", 3);
  EXPECT_THAT(directory_.Names("peerjs/k"), ElementsAre("z", "a", "m"));
  directory_.Release("peerjs/k", "z", 1, LeaveNotice::kEveryone);
  directory_.Release("peerjs/k", "a", 2, LeaveNotice::kEveryone);
  directory_.Release("peerjs/k", "m", 3, LeaveNotice::kEveryone);
  EXPECT_THAT(directory_.Names("peerjs/k"), IsEmpty());
  auto again = Claimed("peerjs/k", "z", 4);  // recreates the realm
  EXPECT_THAT(directory_.Names("peerjs/k"), ElementsAre("z"));
}

TEST_F(LocalDirectoryTest, RealmsArePagedByNameWithTheirMemberCounts) {
  auto a1 = Claimed("td/b", "a1", 1);
  auto a2 = Claimed("td/b", "a2", 2);
  auto c = Claimed("td/a", "c", 3);
  auto d = Claimed("td/c", "d", 4);
  EXPECT_EQ(directory_.realm_count(), 3u);
  const auto names = [](const std::vector<RealmSummary>& page) {
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const RealmSummary& realm : page) out.emplace_back(realm.realm, realm.members);
    return out;
  };
  using Row = std::pair<std::string, std::size_t>;
  EXPECT_THAT(names(directory_.Realms("", 2)), ElementsAre(Row{"td/a", 1}, Row{"td/b", 2}));
  EXPECT_THAT(names(directory_.Realms("td/b", 2)), ElementsAre(Row{"td/c", 1}));
  EXPECT_THAT(directory_.Realms("td/c", 2), IsEmpty());
  directory_.Release("td/a", "c", 3, LeaveNotice::kEveryone);
  EXPECT_EQ(directory_.realm_count(), 2u);
  EXPECT_THAT(names(directory_.Realms("", 10)), ElementsAre(Row{"td/b", 2}, Row{"td/c", 1}));
}

TEST_F(LocalDirectoryTest, SameTokenTakesTheNameOverAndReturnsTheOldPeer) {
  auto first = Claimed("peerjs/k", "p", 1, "tok");
  auto thief = std::make_shared<FakePeer>();
  EXPECT_EQ(ClaimNow(directory_, Claim("peerjs/k", "p", 2, thief, nullptr, "other")).outcome,
            ClaimOutcome::kTaken);
  auto second = std::make_shared<FakePeer>();
  ClaimResult result = ClaimNow(directory_, Claim("peerjs/k", "p", 3, second, nullptr, "tok"));
  ASSERT_EQ(result.outcome, ClaimOutcome::kClaimed);
  EXPECT_EQ(result.replaced, first);
  directory_.Release("peerjs/k", "p", 1, LeaveNotice::kEveryone);  // the old connection's late release changes nothing
  EXPECT_EQ(directory_.Lookup("peerjs/k", "p").peer, second);
  EXPECT_EQ(directory_.size(), 1u);
  EXPECT_THAT(sink_.Changes(), ElementsAre("joined:p/0", "taken over:p/0"));
}

TEST_F(LocalDirectoryTest, MaxMembersIsRealmFull) {
  auto a = std::make_shared<FakePeer>();
  auto b = std::make_shared<FakePeer>();
  ClaimRequest ra = Claim("peerjs/k", "a", 1, a, nullptr);
  ra.max_members = 1;
  EXPECT_EQ(ClaimNow(directory_, ra).outcome, ClaimOutcome::kClaimed);
  ClaimRequest rb = Claim("peerjs/k", "b", 2, b, nullptr);
  rb.max_members = 1;
  EXPECT_EQ(ClaimNow(directory_, rb).outcome, ClaimOutcome::kRealmFull);
}

TEST_F(LocalDirectoryTest, ListPagesInConnectionOrderAndFilters) {
  auto b = Claimed("td/x", "b", 5);
  auto a = Claimed("td/y", "a", 2);
  auto c = Claimed("peerjs/k", "carol", 9);
  auto d = Claimed("td/x", "bob", 7);
  auto e = std::make_shared<FakePeer>();
  ClaimRequest r = Claim("peerjs/k", "eve", 3, e, nullptr);
  r.protocol = sig::v1::PROTOCOL_PEERJS;
  ASSERT_EQ(ClaimNow(directory_, std::move(r)).outcome, ClaimOutcome::kClaimed);

  const auto ids = [](const std::vector<PeerRecord>& page) {
    std::vector<std::uint64_t> out;
    for (const auto& record : page) out.push_back(record.conn_id);
    return out;
  };
  EXPECT_THAT(ids(directory_.List({}, 0, 2)), ElementsAre(2, 3));
  EXPECT_THAT(ids(directory_.List({}, 3, 2)), ElementsAre(5, 7));
  EXPECT_THAT(ids(directory_.List({}, 7, 2)), ElementsAre(9));
  EXPECT_THAT(ids(directory_.List({}, 9, 2)), IsEmpty());
  EXPECT_THAT(ids(directory_.List({}, 0, 0)), IsEmpty());

  PeerFilter by_realm;
  by_realm.realm = "td/x";
  EXPECT_THAT(ids(directory_.List(by_realm, 0, 10)), ElementsAre(5, 7));
  PeerFilter by_prefix;
  by_prefix.name_prefix = "b";
  EXPECT_THAT(ids(directory_.List(by_prefix, 0, 10)), ElementsAre(5, 7));
  PeerFilter by_protocol;
  by_protocol.protocol = sig::v1::PROTOCOL_PEERJS;
  const auto peerjs = directory_.List(by_protocol, 0, 10);
  EXPECT_THAT(ids(peerjs), ElementsAre(3));
  EXPECT_EQ(peerjs[0].realm, "peerjs/k");
  EXPECT_EQ(peerjs[0].name, "eve");
  EXPECT_EQ(peerjs[0].peer, e);
}

TEST_F(LocalDirectoryTest, ListSkipsPeersWhoseConnectionIsGone) {
  Claimed("td/x", "gone", 1);  // the FakePeer dies here; its claim stays until released
  auto b = Claimed("td/x", "b", 2);
  const auto page = directory_.List({}, 0, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].conn_id, 2u);
}

TEST_F(LocalDirectoryTest, FindByRealmAndName) {
  auto a = Claimed("td/x", "a", 4);
  auto found = directory_.Find("td/x", "a");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->conn_id, 4u);
  EXPECT_EQ(found->peer, a);
  EXPECT_FALSE(directory_.Find("td/x", "b").has_value());
  EXPECT_FALSE(directory_.Find("td/y", "a").has_value());
}

// Many threads claiming, looking up and releasing at once: every live name is found, every
// name is free at the end, and the count returns to zero.
TEST_F(LocalDirectoryTest, ConcurrentClaimLookupRelease) {
  constexpr int kThreads = 4;
  constexpr int kPeersPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      std::vector<std::shared_ptr<FakePeer>> peers;
      for (int i = 0; i < kPeersPerThread; ++i) {
        auto peer = std::make_shared<FakePeer>();
        const std::string name = std::to_string(t) + "-" + std::to_string(i);
        const auto id = static_cast<std::uint64_t>(t * kPeersPerThread + i + 1);
        ASSERT_EQ(ClaimNow(directory_, Claim("td/", name, id, peer, nullptr)).outcome,
                  ClaimOutcome::kClaimed);
        peers.push_back(peer);
        ASSERT_EQ(directory_.Lookup("td/", name).peer, peer);
      }
      for (int i = 0; i < kPeersPerThread; ++i) {
        const std::string name = std::to_string(t) + "-" + std::to_string(i);
        directory_.Release("td/", name, static_cast<std::uint64_t>(t * kPeersPerThread + i + 1),
                           LeaveNotice::kEveryone);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(directory_.size(), 0u);
  EXPECT_THAT(directory_.Names("td/"), IsEmpty());
}

}  // namespace
}  // namespace sig::core
