#include "core/router.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/envelope.h"
#include "core/local_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/core_fixtures.h"
#include "testing/fake_clock.h"
#include "testing/fake_peer.h"

namespace sig::core {
namespace {

using ::sig::testing::Claim;
using ::sig::testing::FakePeer;
using ::sig::testing::JoinNow;
using ::sig::testing::TextNotices;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A bus that records what routing hands it, and refuses sends when told to.
class FakeBus final : public Bus {
 public:
  State state() const override { return accept_sends ? State::kUp : State::kDown; }
  void SetSink(BusSink* sink) override { sink_ = sink; }
  std::optional<RelayFailure> SendToNode(NodeId node, const sig::v1::Envelope& envelope) override {
    sent.push_back(std::to_string(node) + ":" + envelope.to() + ":" + envelope.frame());
    if (accept_sends) return std::nullopt;
    return RelayFailure::kBusDown;
  }
  void PublishToRealm(const sig::v1::Envelope& envelope) override {
    published.push_back(envelope.realm() + ":" + envelope.frame());
  }
  void Announce(const MembershipChange& change) override {
    announced.push_back(
        std::string(change.kind == MembershipChange::Kind::kJoined ? "joined:" : "left:") +
        std::string(change.name));
  }

  BusSink* sink_ = nullptr;
  bool accept_sends = true;
  std::vector<std::string> sent;
  std::vector<std::string> published;
  std::vector<std::string> announced;
};

// The in-memory directory, with some names held on other nodes, as a cluster's would report.
class DirectoryWithRemotes final : public Directory {
 public:
  void SetSink(MembershipSink* sink) override { local_.SetSink(sink); }
  void Claim(ClaimRequest request, ClaimDone done) override {
    local_.Claim(std::move(request), std::move(done));
  }
  void Release(std::string_view realm, std::string_view name, std::uint64_t conn,
               LeaveNotice notice) override {
    local_.Release(realm, name, conn, notice);
  }
  Holder Lookup(std::string_view realm, std::string_view name) const override {
    if (auto it = remote.find(std::string(realm) + "/" + std::string(name)); it != remote.end()) {
      return Holder{nullptr, it->second, 1};
    }
    return local_.Lookup(realm, name);
  }
  void ForEachLocalMember(std::string_view realm,
                          absl::FunctionRef<void(std::string_view, Peer&)> fn) const override {
    local_.ForEachLocalMember(realm, fn);
  }
  std::vector<std::string> Names(std::string_view realm) const override {
    return local_.Names(realm);
  }
  std::vector<PeerRecord> List(const PeerFilter& filter, std::uint64_t after,
                               std::size_t limit) const override {
    return local_.List(filter, after, limit);
  }
  std::optional<PeerRecord> Find(std::string_view realm, std::string_view name) const override {
    return local_.Find(realm, name);
  }
  std::size_t size() const override { return local_.size(); }
  std::vector<RealmSummary> Realms(std::string_view after, std::size_t limit) const override {
    return local_.Realms(after, limit);
  }
  std::size_t realm_count() const override { return local_.realm_count(); }

  // "realm/name" -> the node holding it.
  absl::flat_hash_map<std::string, NodeId> remote;

 private:
  LocalDirectory local_;
};

sig::v1::Envelope Direct(std::string realm, std::string from, std::string to, std::string frame) {
  return MakeEnvelope(sig::v1::ROUTE_DIRECT, realm, from, to, "offer", kOtherFrameType, std::move(frame));
}

sig::v1::Envelope Held(std::string from, std::string to, std::string frame) {
  sig::v1::Envelope e = Direct("peerjs/k", std::move(from), std::move(to), std::move(frame));
  e.set_hold_if_absent(true);
  return e;
}

class RouterTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakePeer> Join(std::string_view realm, std::string_view name, std::uint64_t id,
                                 const NoticeEncoder* notices) {
    auto peer = std::make_shared<FakePeer>();
    EXPECT_EQ(JoinNow(router_, Claim(realm, name, id, peer, notices)).outcome,
              ClaimOutcome::kClaimed);
    return peer;
  }
  std::shared_ptr<FakePeer> Join(std::string_view realm, std::string_view name, std::uint64_t id) {
    return Join(realm, name, id, &notices_);
  }
  void Route(sig::v1::Envelope envelope, Peer& sender) { router_.Route(envelope, sender, &notices_); }

  TextNotices notices_;
  testing::FakeClock clock_;
  EventHub events_;
  DirectoryWithRemotes directory_;
  HoldStore holds_{clock_, HoldLimits{3, 100, 4}};
  FakeBus bus_;
  Router router_{clock_, directory_, holds_, bus_, &events_};
};

TEST_F(RouterTest, JoinAndLeaveAreAnnouncedToTheRealmAndTheBus) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/", "b", 2);
  auto c = Join("td/other", "c", 3);
  router_.Leave("td/", "b", 2, LeaveNotice::kEveryone);
  router_.Leave("td/", "b", 2, LeaveNotice::kEveryone);  // idempotent
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b", "left:b"));
  EXPECT_THAT(b->Texts(), IsEmpty());
  EXPECT_THAT(c->Texts(), IsEmpty());
  EXPECT_THAT(bus_.announced, ElementsAre("joined:a", "joined:b", "joined:c", "left:b"));
}

TEST_F(RouterTest, AMassCloseTellsOnlyOtherNodesOfTheDeparture) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/", "b", 2);
  router_.Leave("td/", "b", 2, LeaveNotice::kOtherNodesOnly);
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b"));  // a is being closed too: no "left:b"
  EXPECT_THAT(bus_.announced, ElementsAre("joined:a", "joined:b", "left:b"));
  EXPECT_EQ(directory_.Lookup("td/", "b").peer, nullptr);  // the name is free all the same
}

TEST(LeaveNoticeTest, OnlyClosesOfEveryoneOnTheNodeAreKeptFromItsPeers) {
  for (DisconnectReason why : {DisconnectReason::kDrain, DisconnectReason::kShutdown,
                               DisconnectReason::kFenced}) {
    EXPECT_EQ(LeaveNoticeFor(why), LeaveNotice::kOtherNodesOnly) << Name(why);
  }
  for (DisconnectReason why : {DisconnectReason::kClientClose, DisconnectReason::kConnectionLost,
                               DisconnectReason::kKicked, DisconnectReason::kSlowConsumer}) {
    EXPECT_EQ(LeaveNoticeFor(why), LeaveNotice::kEveryone) << Name(why);
  }
}

TEST_F(RouterTest, NullNoticeEncoderAnnouncesNothing) {
  auto a = Join("peerjs/k", "a", 1, nullptr);
  auto b = Join("peerjs/k", "b", 2, nullptr);
  router_.Leave("peerjs/k", "b", 2, LeaveNotice::kEveryone);
  EXPECT_THAT(a->Texts(), IsEmpty());
}

TEST_F(RouterTest, ATakeoverIsNotAnnounced) {
  auto a = Join("peerjs/k", "a", 1);
  auto first = std::make_shared<FakePeer>();
  ASSERT_EQ(JoinNow(router_, Claim("peerjs/k", "p", 2, first, &notices_, "tok")).outcome,
            ClaimOutcome::kClaimed);
  auto second = std::make_shared<FakePeer>();
  ClaimResult result = JoinNow(router_, Claim("peerjs/k", "p", 3, second, &notices_, "tok"));
  EXPECT_EQ(result.replaced, first);
  EXPECT_THAT(a->Texts(), ElementsAre("joined:p"));
  EXPECT_THAT(bus_.announced, ElementsAre("joined:a", "joined:p"));
}

TEST_F(RouterTest, DirectRouteReachesOnlyTheTarget) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/", "b", 2);
  auto c = Join("td/", "c", 3);
  Route(Direct("td/", "a", "b", "hello"), *a);
  EXPECT_THAT(b->Texts(), ElementsAre("joined:c", "hello"));
  EXPECT_THAT(c->Texts(), IsEmpty());
  EXPECT_THAT(a->Failures(), IsEmpty());
}

// The edge numbers the type with its protocol's table; the core carries the number to the
// recipient's frame, which is counted under it when written.
TEST_F(RouterTest, ARelayedFrameKeepsTheTypeTheEdgeGaveIt) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/", "b", 2);
  Route(MakeEnvelope(sig::v1::ROUTE_DIRECT, "td/", "a", "b", "answer", 5, "x"), *a);
  ASSERT_EQ(b->Frames().size(), 1u);
  EXPECT_EQ(b->Frames().back()->type, 5);
  Route(MakeEnvelope(sig::v1::ROUTE_DIRECT, "td/", "a", "b", "answer", 200, "y"), *a);
  EXPECT_EQ(b->Frames().back()->type, kOtherFrameType);  // out of any table's range
}

TEST_F(RouterTest, ADirectRouteThatMissesIsReportedToTheSender) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/room", "b", 2);
  Route(Direct("td/", "a", "nobody", "x"), *a);
  Route(Direct("td/", "a", "b", "x"), *a);  // b is in another realm
  {
    auto gone = Join("td/", "gone", 3);
  }  // the connection object died without Leave
  Route(Direct("td/", "a", "gone", "x"), *a);
  EXPECT_THAT(a->Failures(),
              ElementsAre("target_not_found:nobody", "target_not_found:b", "target_not_found:gone"));
  EXPECT_THAT(b->Texts(), IsEmpty());
}

TEST_F(RouterTest, ATargetOnAnotherNodeIsHandedToTheBus) {
  auto a = Join("td/", "a", 1);
  directory_.remote["td//far"] = 7;
  Route(Direct("td/", "a", "far", "hello"), *a);
  EXPECT_THAT(bus_.sent, ElementsAre("7:far:hello"));
  EXPECT_THAT(a->Failures(), IsEmpty());
  bus_.accept_sends = false;  // the bus is down
  Route(Direct("td/", "a", "far", "again"), *a);
  EXPECT_THAT(a->Failures(), ElementsAre("bus_down:far"));
}

TEST_F(RouterTest, BroadcastSharesOneBufferSkipsTheSenderAndGoesToTheBus) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/", "b", 2);
  auto c = Join("td/", "c", 3);
  auto elsewhere = Join("td/other", "d", 4);
  Route(MakeEnvelope(sig::v1::ROUTE_BROADCAST, "td/", "a", {}, "page_opened", kOtherFrameType, "event"), *a);
  EXPECT_EQ(a->Texts().back(), "joined:c");
  ASSERT_EQ(b->Frames().back(), c->Frames().back());  // the same shared buffer
  EXPECT_EQ(b->Frames().back()->bytes, "event");
  EXPECT_THAT(elsewhere->Texts(), IsEmpty());
  EXPECT_THAT(bus_.published, ElementsAre("td/:event"));
}

TEST_F(RouterTest, WhatOtherNodesSendReachesThisNodesPeers) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/", "b", 2);
  BusSink& sink = *bus_.sink_;
  sink.OnDirect(Direct("td/", "far", "a", "to a"));
  sink.OnDirect(Direct("td/", "far", "gone", "dropped"));  // left since: dropped
  sink.OnRealm(MakeEnvelope(sig::v1::ROUTE_BROADCAST, "td/", "far", {}, "page_opened", kOtherFrameType, "all"));
  sink.OnMembership(MembershipChange{MembershipChange::Kind::kJoined, sig::v1::PROTOCOL_TD, "td/",
                                     "far", 9, &notices_});
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b", "to a", "all", "joined:far"));
  EXPECT_THAT(b->Texts(), ElementsAre("all", "joined:far"));
}

TEST_F(RouterTest, HeldFramesAreDeliveredInOrderWhenTheTargetJoins) {
  auto a = Join("peerjs/k", "a", 1);
  Route(Held("a", "late", "1"), *a);
  Route(Held("a", "late", "2"), *a);
  EXPECT_EQ(holds_.held_frames(), 2u);
  auto late = Join("peerjs/k", "late", 2, nullptr);
  EXPECT_THAT(late->Texts(), ElementsAre("1", "2"));
  EXPECT_EQ(holds_.held_frames(), 0u);
  clock_.Advance(absl::Seconds(10));
  router_.ExpireHeld(clock_.Now(), absl::Seconds(5));
  EXPECT_THAT(a->Texts(), IsEmpty());
}

// A name claimed on another node: what this node held for it goes there, in order, once; and a
// relay that finds the remote holder before the claim's notice arrives sends the held frames
// first, so nothing overtakes them.
TEST_F(RouterTest, HeldFramesFollowANameClaimedOnAnotherNode) {
  auto a = Join("peerjs/k", "a", 1);
  Route(Held("a", "far", "1"), *a);
  Route(Held("a", "far", "2"), *a);
  directory_.remote["peerjs/k/far"] = 7;
  router_.OnClaimedElsewhere("peerjs/k", "far", 7);
  router_.OnClaimedElsewhere("peerjs/k", "far", 7);
  EXPECT_THAT(bus_.sent, ElementsAre("7:far:1", "7:far:2"));
  EXPECT_EQ(holds_.held_frames(), 0u);

  Route(Held("a", "away", "3"), *a);
  directory_.remote["peerjs/k/away"] = 8;
  Route(Held("a", "away", "4"), *a);
  router_.OnClaimedElsewhere("peerjs/k", "away", 8);
  EXPECT_THAT(bus_.sent, ElementsAre("7:far:1", "7:far:2", "8:away:3", "8:away:4"));
  EXPECT_THAT(a->Failures(), IsEmpty());
  clock_.Advance(absl::Seconds(10));
  router_.ExpireHeld(clock_.Now(), absl::Seconds(5));
  EXPECT_THAT(a->Texts(), IsEmpty());  // delivered, so no EXPIRE
}

// Another node may send a PeerJS frame before this node has completed the claim it is for (the
// claim's announcement can beat the claim's reply): it waits for the claim, as a held frame.
// Other frames for nobody here are dropped.
TEST_F(RouterTest, AFrameFromAnotherNodeWaitsForAClaimStillInFlight) {
  router_.OnDirect(Held("far", "soon", "x"));
  router_.OnDirect(Direct("td/", "far", "gone", "y"));
  EXPECT_EQ(holds_.held_frames(), 1u);
  auto soon = Join("peerjs/k", "soon", 1);
  EXPECT_THAT(soon->Texts(), ElementsAre("x"));
  EXPECT_EQ(holds_.held_frames(), 0u);
}

TEST_F(RouterTest, ExpiredHoldsAreToldToSendersStillConnected) {
  auto a = Join("peerjs/k", "a", 1);
  auto b = Join("peerjs/k", "b", 2);
  Route(Held("a", "ghost", "1"), *a);
  Route(Held("b", "ghost", "2"), *b);
  router_.Leave("peerjs/k", "b", 2, LeaveNotice::kEveryone);  // b's frame goes with it
  clock_.Advance(absl::Seconds(5));
  router_.ExpireHeld(clock_.Now(), absl::Seconds(5));
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b", "left:b", "expired:ghost>a"));
  EXPECT_THAT(b->Texts(), IsEmpty());
  EXPECT_EQ(holds_.held_frames(), 0u);
}

// Held frames outlive a realm emptied and created again under the same name.
TEST_F(RouterTest, HoldsInARecreatedRealmStillExpire) {
  auto a = Join("peerjs/k", "a", 1);
  Route(Held("a", "t", "x"), *a);
  auto t = Join("peerjs/k", "t", 2);  // takes the held frame
  router_.Leave("peerjs/k", "a", 1, LeaveNotice::kEveryone);
  router_.Leave("peerjs/k", "t", 2, LeaveNotice::kEveryone);  // the realm is empty and dropped
  auto b = Join("peerjs/k", "b", 3);  // a new realm object, same name
  Route(Held("b", "ghost", "y"), *b);
  clock_.Advance(absl::Seconds(5));
  router_.ExpireHeld(clock_.Now(), absl::Seconds(5));
  EXPECT_THAT(b->Texts(), ElementsAre("expired:ghost>b"));
}

// The relay path refills one envelope per thread (ThreadEnvelope): Route takes only its frame,
// and SetEnvelope resets every field, so a held PeerJS frame before cannot make the next
// message on that envelope wait for its absent target too.
TEST_F(RouterTest, ARefilledEnvelopeRoutesLikeAFreshOne) {
  auto a = Join("peerjs/k", "a", 1);
  auto b = Join("peerjs/k", "b", 2);
  sig::v1::Envelope envelope;
  SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, "peerjs/k", "a", "late", "OFFER", kOtherFrameType, "held");
  envelope.set_hold_if_absent(true);
  router_.Route(envelope, *a, &notices_);
  EXPECT_EQ(holds_.held_frames(), 1u);
  EXPECT_TRUE(envelope.frame().empty());

  SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, "peerjs/k", "a", "nobody", "OFFER", kOtherFrameType, "x");
  router_.Route(envelope, *a, &notices_);
  EXPECT_THAT(a->Failures(), ElementsAre("target_not_found:nobody"));
  EXPECT_EQ(holds_.held_frames(), 1u);

  SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, "peerjs/k", "a", "b", "ANSWER", kOtherFrameType, "to b");
  router_.Route(envelope, *a, &notices_);
  EXPECT_THAT(b->Texts(), ElementsAre("to b"));
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b"));  // and nothing of its own frames
}

// A sender's holds go with it: nobody is there to answer them, and a peer reconnecting under
// new ids must not pile up frames within the expiry. Others' holds for the same target stay.
TEST_F(RouterTest, HeldFramesAreDroppedWhenTheirSenderLeaves) {
  auto a = Join("peerjs/k", "a", 1);
  auto b = Join("peerjs/k", "b", 2);
  Route(Held("a", "late", "from a"), *a);
  Route(Held("b", "late", "from b"), *b);
  Route(Held("a", "other", "to other"), *a);
  EXPECT_EQ(holds_.held_frames(), 3u);
  router_.Leave("peerjs/k", "a", 1, LeaveNotice::kEveryone);
  EXPECT_EQ(holds_.held_frames(), 1u);
  auto late = Join("peerjs/k", "late", 3);
  EXPECT_THAT(late->Texts(), ElementsAre("from b"));
  auto other = Join("peerjs/k", "other", 4);
  EXPECT_THAT(other->Texts(), ElementsAre());
  EXPECT_EQ(holds_.held_bytes(), 0u);
}

TEST_F(RouterTest, AFullHoldStoreIsReportedToTheSender) {
  auto a = Join("peerjs/k", "a", 1);
  for (int i = 0; i < 3; ++i) Route(Held("a", "t1", "x"), *a);
  EXPECT_THAT(a->Failures(), IsEmpty());
  Route(Held("a", "t1", "x"), *a);
  EXPECT_THAT(a->Failures(), ElementsAre("hold_limit:t1"));
  EXPECT_EQ(holds_.held_frames(), 3u);
}

TEST_F(RouterTest, JoinsAndLeavesArePublishedInOrder) {
  auto watcher = events_.Subscribe({}, 16);
  auto peer = Join("td/x", "a", 1, nullptr);
  router_.Leave("td/x", "a", 2, LeaveNotice::kEveryone);  // not the holder: no event
  router_.Leave("td/x", "a", 1, LeaveNotice::kEveryone);
  PeerEvent event;
  std::uint64_t dropped = 0;
  ASSERT_EQ(watcher->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  EXPECT_EQ(event.kind, PeerEvent::Kind::kJoined);
  EXPECT_EQ(event.realm, "td/x");
  EXPECT_EQ(event.name, "a");
  EXPECT_EQ(event.conn_id, 1u);
  EXPECT_EQ(event.at, clock_.Now());
  ASSERT_EQ(watcher->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  EXPECT_EQ(event.kind, PeerEvent::Kind::kLeft);
  EXPECT_EQ(watcher->TryNext(&event, &dropped), EventSubscription::Take::kEmpty);
}

// Each node publishes its own members' changes; another node's member, heard of through the
// directory or the bus, would otherwise be published twice cluster-wide, under the wrong node.
TEST_F(RouterTest, AnotherNodesMembersAreNotThisNodesEvents) {
  auto watcher = events_.Subscribe({}, 16);
  auto a = Join("td/x", "a", 1, nullptr);
  PeerEvent event;
  std::uint64_t dropped = 0;
  ASSERT_EQ(watcher->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  MembershipSink& directory_sink = router_;
  MembershipChange far{MembershipChange::Kind::kJoined, sig::v1::PROTOCOL_TD, "td/x", "far", 9,
                       &notices_};
  far.remote = true;
  directory_sink.OnMembershipChange(far, std::vector<std::shared_ptr<Peer>>{a});
  far.kind = MembershipChange::Kind::kLeft;
  directory_sink.OnMembershipChange(far, std::vector<std::shared_ptr<Peer>>{a});
  bus_.sink_->OnMembership(far);
  EXPECT_THAT(a->Texts(), ElementsAre("joined:far", "left:far", "left:far"));
  EXPECT_EQ(watcher->TryNext(&event, &dropped), EventSubscription::Take::kEmpty);
}

}  // namespace
}  // namespace sig::core
