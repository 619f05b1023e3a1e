#include "core/router.h"

#include "core/envelope.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/fake_peer.h"

namespace sig::core {
namespace {

using ::sig::testing::FakePeer;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class TextNotices final : public NoticeEncoder {
 public:
  Frame PeerJoined(std::string_view name) const override {
    return MakeFrame("joined:" + std::string(name), FrameType::kPeerConnected);
  }
  Frame PeerLeft(std::string_view name) const override {
    return MakeFrame("left:" + std::string(name), FrameType::kPeerDisconnected);
  }
  Frame Expired(std::string_view absent, std::string_view sender) const override {
    return MakeFrame("expired:" + std::string(absent) + ">" + std::string(sender),
                     FrameType::kExpire);
  }
};

sig::v1::Envelope Direct(std::string realm, std::string from, std::string to, std::string frame) {
  return MakeEnvelope(sig::v1::ROUTE_DIRECT, realm, from, to, "offer", std::move(frame));
}

Router::JoinRequest Req(std::string_view realm, std::string_view name, std::uint64_t id,
                        std::shared_ptr<Peer> peer, const NoticeEncoder* notices,
                        std::string_view token = {}) {
  Router::JoinRequest r;
  r.realm = realm;
  r.name = name;
  r.conn_id = id;
  r.peer = peer;
  r.notices = notices;
  r.token = token;
  r.list_names = true;
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakePeer> Join(std::string_view realm, std::string_view name, std::uint64_t id) {
    auto peer = std::make_shared<FakePeer>();
    auto names = router_.Join(Req(realm, name, id, peer, &notices_));
    EXPECT_TRUE(names.ok()) << names.status();
    return peer;
  }

  TextNotices notices_;
  testing::FakeClock clock_;
  Router router_{clock_, HoldLimits{3, 100, 4}};
};

TEST_F(RouterTest, JoinReturnsEveryNameAndAnnouncesToOthers) {
  auto a = Join("td/", "a", 1);
  auto b = std::make_shared<FakePeer>();
  auto names = router_.Join(Req("td/", "b", 2, b, &notices_));
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(names->names, UnorderedElementsAre("a", "b"));
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b"));
  EXPECT_THAT(b->Texts(), IsEmpty());
  EXPECT_EQ(router_.peer_count(), 2u);
}

TEST_F(RouterTest, TakenNameIsAlreadyExistsAndFreeAfterLeave) {
  auto a = Join("td/", "a", 1);
  auto other = std::make_shared<FakePeer>();
  auto taken = router_.Join(Req("td/", "a", 2, other, &notices_));
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  router_.Leave("td/", "a", 1);
  EXPECT_TRUE(router_.Join(Req("td/", "a", 2, other, &notices_)).ok());
}

TEST_F(RouterTest, LeaveAnnouncesOnceAndIgnoresOtherConnections) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/", "b", 2);
  router_.Leave("td/", "b", 99);  // not b's connection: ignored
  router_.Leave("td/", "b", 2);
  router_.Leave("td/", "b", 2);   // idempotent
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b", "left:b"));
  EXPECT_EQ(router_.peer_count(), 1u);
}

TEST_F(RouterTest, DirectRouteReachesOnlyTheTarget) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/", "b", 2);
  auto c = Join("td/", "c", 3);
  ASSERT_TRUE(router_.Route(Direct("td/", "a", "b", "hello")).ok());
  EXPECT_THAT(b->Texts(), ElementsAre("joined:c", "hello"));
  EXPECT_THAT(c->Texts(), IsEmpty());
}

TEST_F(RouterTest, DirectRouteToAbsentOrOtherRealmIsNotFound) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/room", "b", 2);
  EXPECT_EQ(router_.Route(Direct("td/", "a", "nobody", "x")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(router_.Route(Direct("td/", "a", "b", "x")).code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(b->Texts(), IsEmpty());
}

TEST_F(RouterTest, DirectRouteToExpiredPeerIsNotFound) {
  auto a = Join("td/", "a", 1);
  {
    auto gone = Join("td/", "gone", 2);
  }  // the connection object died without Leave
  EXPECT_EQ(router_.Route(Direct("td/", "a", "gone", "x")).code(), absl::StatusCode::kNotFound);
}

TEST_F(RouterTest, BroadcastSharesOneBufferAndSkipsSender) {
  auto a = Join("td/", "a", 1);
  auto b = Join("td/", "b", 2);
  auto c = Join("td/", "c", 3);
  auto elsewhere = Join("td/other", "d", 4);
  ASSERT_TRUE(
      router_.Route(MakeEnvelope(sig::v1::ROUTE_BROADCAST, "td/", "a", {}, "page_opened", "event"))
          .ok());
  EXPECT_EQ(a->Texts().back(), "joined:c");
  ASSERT_EQ(b->Frames().back(), c->Frames().back());  // the same shared buffer
  EXPECT_EQ(b->Frames().back()->bytes, "event");
  EXPECT_THAT(elsewhere->Texts(), IsEmpty());
}

TEST_F(RouterTest, RealmsAreSeparateNamespaces) {
  auto a1 = Join("td/r1", "a", 1);
  auto a2 = Join("td/r2", "a", 2);
  auto b1 = std::make_shared<FakePeer>();
  auto names = router_.Join(Req("td/r1", "b", 3, b1, &notices_));
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(names->names, UnorderedElementsAre("a", "b"));
  EXPECT_THAT(a2->Texts(), IsEmpty());
}

TEST_F(RouterTest, NamesAreInJoinOrderAndRealmIsDroppedWhenEmpty) {
  auto z = Join("peerjs/k", "z", 1);
  auto a = Join("peerjs/k", "a", 2);
  auto m = Join("peerjs/k", "m", 3);
  EXPECT_THAT(router_.Names("peerjs/k"), ElementsAre("z", "a", "m"));
  router_.Leave("peerjs/k", "z", 1);
  router_.Leave("peerjs/k", "a", 2);
  router_.Leave("peerjs/k", "m", 3);
  EXPECT_THAT(router_.Names("peerjs/k"), IsEmpty());
  // Joining again recreates the realm.
  auto again = Join("peerjs/k", "z", 4);
  EXPECT_THAT(router_.Names("peerjs/k"), ElementsAre("z"));
}

TEST_F(RouterTest, NullNoticeEncoderAnnouncesNothing) {
  auto a = std::make_shared<FakePeer>();
  auto b = std::make_shared<FakePeer>();
  ASSERT_TRUE(router_.Join(Req("peerjs/k", "a", 1, a, nullptr)).ok());
  ASSERT_TRUE(router_.Join(Req("peerjs/k", "b", 2, b, nullptr)).ok());
  router_.Leave("peerjs/k", "b", 2);
  EXPECT_THAT(a->Texts(), IsEmpty());
}

// Many threads joining, relaying and leaving at once: every relay to a live peer lands, every
// name is free at the end, and the count returns to zero.
TEST_F(RouterTest, ConcurrentJoinRelayLeave) {
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
        ASSERT_TRUE(router_.Join(Req("td/", name, id, peer, nullptr)).ok());
        peers.push_back(peer);
        ASSERT_TRUE(router_.Route(Direct("td/", name, name, "self")).ok());
      }
      for (int i = 0; i < kPeersPerThread; ++i) {
        EXPECT_THAT(peers[static_cast<std::size_t>(i)]->Texts(), ElementsAre("self"));
        const std::string name = std::to_string(t) + "-" + std::to_string(i);
        router_.Leave("td/", name, static_cast<std::uint64_t>(t * kPeersPerThread + i + 1));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(router_.peer_count(), 0u);
  EXPECT_THAT(router_.Names("td/"), IsEmpty());
}

sig::v1::Envelope Held(std::string from, std::string to, std::string frame) {
  sig::v1::Envelope e = Direct("peerjs/k", std::move(from), std::move(to), std::move(frame));
  e.set_hold_if_absent(true);
  return e;
}

TEST_F(RouterTest, SameTokenTakesTheNameOverAndReturnsTheOldPeer) {
  auto first = std::make_shared<FakePeer>();
  ASSERT_TRUE(router_.Join(Req("peerjs/k", "p", 1, first, nullptr, "tok")).ok());
  auto thief = std::make_shared<FakePeer>();
  EXPECT_EQ(router_.Join(Req("peerjs/k", "p", 2, thief, nullptr, "other")).status().code(),
            absl::StatusCode::kAlreadyExists);
  auto second = std::make_shared<FakePeer>();
  auto joined = router_.Join(Req("peerjs/k", "p", 3, second, nullptr, "tok"));
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->replaced, first);
  router_.Leave("peerjs/k", "p", 1);  // the old connection's late leave changes nothing
  ASSERT_TRUE(router_.Route(Direct("peerjs/k", "x", "p", "hi")).ok());
  EXPECT_THAT(second->Texts(), ElementsAre("hi"));
  EXPECT_EQ(router_.peer_count(), 1u);
}

TEST_F(RouterTest, MaxMembersIsResourceExhausted) {
  auto a = std::make_shared<FakePeer>();
  auto b = std::make_shared<FakePeer>();
  Router::JoinRequest ra = Req("peerjs/k", "a", 1, a, nullptr);
  ra.max_members = 1;
  ASSERT_TRUE(router_.Join(ra).ok());
  Router::JoinRequest rb = Req("peerjs/k", "b", 2, b, nullptr);
  rb.max_members = 1;
  EXPECT_EQ(router_.Join(rb).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(RouterTest, HeldFramesAreDeliveredInOrderWhenTheTargetJoins) {
  auto a = Join("peerjs/k", "a", 1);
  ASSERT_TRUE(router_.Route(Held("a", "late", "1"), &notices_).ok());
  ASSERT_TRUE(router_.Route(Held("a", "late", "2"), &notices_).ok());
  EXPECT_EQ(router_.held_frames(), 2u);
  auto late = std::make_shared<FakePeer>();
  ASSERT_TRUE(router_.Join(Req("peerjs/k", "late", 2, late, nullptr)).ok());
  EXPECT_THAT(late->Texts(), ElementsAre("1", "2"));
  EXPECT_EQ(router_.held_frames(), 0u);
  clock_.Advance(absl::Seconds(10));
  router_.ExpireHeld(clock_.Now(), absl::Seconds(5));
  EXPECT_THAT(a->Texts(), IsEmpty());
}

TEST_F(RouterTest, HoldsExpireOncePerSenderAfterTheTimeout) {
  auto a = Join("peerjs/k", "a", 1);
  auto b = Join("peerjs/k", "b", 2);
  ASSERT_TRUE(router_.Route(Held("a", "ghost", "1"), &notices_).ok());
  ASSERT_TRUE(router_.Route(Held("a", "ghost", "2"), &notices_).ok());
  ASSERT_TRUE(router_.Route(Held("b", "ghost", "3"), &notices_).ok());
  clock_.Advance(absl::Milliseconds(4999));
  router_.ExpireHeld(clock_.Now(), absl::Seconds(5));
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b"));
  clock_.Advance(absl::Milliseconds(1));
  router_.ExpireHeld(clock_.Now(), absl::Seconds(5));
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b", "expired:ghost>a"));
  EXPECT_THAT(b->Texts(), ElementsAre("expired:ghost>b"));
  EXPECT_EQ(router_.held_frames(), 0u);
  // Nothing is left to expire twice, and a ghost joining later gets nothing.
  router_.ExpireHeld(clock_.Now() + absl::Hours(1), absl::Seconds(5));
  auto ghost = std::make_shared<FakePeer>();
  ASSERT_TRUE(router_.Join(Req("peerjs/k", "ghost", 3, ghost, nullptr)).ok());
  EXPECT_THAT(ghost->Texts(), IsEmpty());
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b", "expired:ghost>a"));
}

// A realm dropped and created again under the same name must still have its holds swept.
TEST_F(RouterTest, HoldsInARecreatedRealmStillExpire) {
  auto a = Join("peerjs/k", "a", 1);
  ASSERT_TRUE(router_.Route(Held("a", "t", "x"), &notices_).ok());
  auto t = Join("peerjs/k", "t", 2);  // takes the held frame
  router_.Leave("peerjs/k", "a", 1);
  router_.Leave("peerjs/k", "t", 2);  // the realm is empty and dropped
  auto b = Join("peerjs/k", "b", 3);  // a new realm object, same name
  ASSERT_TRUE(router_.Route(Held("b", "ghost", "y"), &notices_).ok());
  clock_.Advance(absl::Seconds(5));
  router_.ExpireHeld(clock_.Now(), absl::Seconds(5));
  EXPECT_THAT(b->Texts(), ElementsAre("expired:ghost>b"));
}

// Held frames outlive their sender, as in peerjs-server: the target still gets them.
// The relay path refills one envelope per thread (ThreadEnvelope): Route takes only its frame,
// and SetEnvelope resets every field, so a held PeerJS frame before cannot make the next
// message on that envelope wait for its absent target too.
TEST_F(RouterTest, ARefilledEnvelopeRoutesLikeAFreshOne) {
  auto a = Join("peerjs/k", "a", 1);
  auto b = Join("peerjs/k", "b", 2);
  sig::v1::Envelope envelope;
  SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, "peerjs/k", "a", "late", "OFFER", "held");
  envelope.set_hold_if_absent(true);
  ASSERT_TRUE(router_.Route(envelope, &notices_).ok());
  EXPECT_EQ(router_.held_frames(), 1u);
  EXPECT_TRUE(envelope.frame().empty());

  SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, "peerjs/k", "a", "nobody", "OFFER", "x");
  EXPECT_EQ(router_.Route(envelope, &notices_).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(router_.held_frames(), 1u);

  SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, "peerjs/k", "a", "b", "ANSWER", "to b");
  ASSERT_TRUE(router_.Route(envelope, &notices_).ok());
  EXPECT_THAT(b->Texts(), ElementsAre("to b"));
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b"));  // and nothing of its own frames
}

// A sender's holds go with it: nobody is there to answer them, and a peer reconnecting under
// new ids must not pile up frames within the expiry. Others' holds for the same target stay.
TEST_F(RouterTest, HeldFramesAreDroppedWhenTheirSenderLeaves) {
  auto a = Join("peerjs/k", "a", 1);
  auto b = Join("peerjs/k", "b", 2);
  ASSERT_TRUE(router_.Route(Held("a", "late", "from a"), &notices_).ok());
  ASSERT_TRUE(router_.Route(Held("b", "late", "from b"), &notices_).ok());
  ASSERT_TRUE(router_.Route(Held("a", "other", "to other"), &notices_).ok());
  EXPECT_EQ(router_.held_frames(), 3u);
  router_.Leave("peerjs/k", "a", 1);
  EXPECT_EQ(router_.held_frames(), 1u);
  EXPECT_EQ(router_.held_bytes(), std::string("from b").size());
  auto late = Join("peerjs/k", "late", 3);
  EXPECT_THAT(late->Texts(), ElementsAre("from b"));
  auto other = Join("peerjs/k", "other", 4);
  EXPECT_THAT(other->Texts(), ElementsAre());
  EXPECT_EQ(router_.held_bytes(), 0u);
}

TEST_F(RouterTest, HoldsAreBoundedPerTargetAndPerSender) {
  auto a = Join("peerjs/k", "a", 1);
  auto b = Join("peerjs/k", "b", 2);
  // Per target: 3 frames (HoldLimits above).
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(router_.Route(Held("a", "t1", "x"), &notices_).ok());
  EXPECT_EQ(router_.Route(Held("b", "t1", "x"), &notices_).code(),
            absl::StatusCode::kResourceExhausted);
  // Per sender: 4 frames across targets.
  ASSERT_TRUE(router_.Route(Held("a", "t2", "x"), &notices_).ok());
  EXPECT_EQ(router_.Route(Held("a", "t3", "x"), &notices_).code(),
            absl::StatusCode::kResourceExhausted);
  // Per target bytes: 100.
  EXPECT_EQ(router_.Route(Held("b", "t4", std::string(101, 'x')), &notices_).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(router_.held_frames(), 4u);
}

// Bytes per sender and for the whole router, each at its edge: exactly the bound is held, one
// byte more is refused, and a refusal holds nothing.
TEST(RouterHoldBytesTest, HoldsAreBoundedInBytesPerSenderAndInAll) {
  testing::FakeClock clock;
  TextNotices notices;
  Router router(clock, HoldLimits{64, 1000, 64, /*max_bytes_per_sender=*/100,
                                  /*max_total_bytes=*/250});
  auto a = std::make_shared<FakePeer>();
  auto b = std::make_shared<FakePeer>();
  auto c = std::make_shared<FakePeer>();
  ASSERT_TRUE(router.Join(Req("peerjs/k", "a", 1, a, &notices)).ok());
  ASSERT_TRUE(router.Join(Req("peerjs/k", "b", 2, b, &notices)).ok());
  ASSERT_TRUE(router.Join(Req("peerjs/k", "c", 3, c, &notices)).ok());
  const auto held = [&](std::string from, std::string to, std::size_t bytes) {
    sig::v1::Envelope e = Direct("peerjs/k", std::move(from), std::move(to), std::string(bytes, 'x'));
    e.set_hold_if_absent(true);
    return router.Route(e, &notices);
  };
  // Per sender: 100 bytes across targets.
  ASSERT_TRUE(held("a", "t1", 60).ok());
  ASSERT_TRUE(held("a", "t2", 40).ok());
  EXPECT_EQ(held("a", "t3", 1).code(), absl::StatusCode::kResourceExhausted);
  // In all: 250 bytes across senders.
  ASSERT_TRUE(held("b", "t1", 100).ok());
  ASSERT_TRUE(held("c", "t1", 50).ok());
  EXPECT_EQ(router.held_bytes(), 250u);
  EXPECT_EQ(held("c", "t2", 1).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(router.held_bytes(), 250u);
  EXPECT_EQ(router.held_frames(), 4u);
  // Space freed by a sender leaving is there for others.
  router.Leave("peerjs/k", "b", 2);
  EXPECT_TRUE(held("c", "t2", 50).ok());
}

TEST(RouterHoldBytesTest, HeldFramesAreBoundedInAll) {
  testing::FakeClock clock;
  TextNotices notices;
  Router router(clock, HoldLimits{64, 1000, 64, 1000, 1000, /*max_total_frames=*/3});
  auto a = std::make_shared<FakePeer>();
  ASSERT_TRUE(router.Join(Req("peerjs/k", "a", 1, a, &notices)).ok());
  for (int i = 0; i < 3; ++i) {
    sig::v1::Envelope e = Direct("peerjs/k", "a", "t" + std::to_string(i), "x");
    e.set_hold_if_absent(true);
    ASSERT_TRUE(router.Route(e, &notices).ok()) << i;
  }
  sig::v1::Envelope fourth = Direct("peerjs/k", "a", "t9", "x");
  fourth.set_hold_if_absent(true);
  EXPECT_EQ(router.Route(fourth, &notices).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(router.held_frames(), 3u);
  EXPECT_EQ(router.held_bytes(), 3u);
}

TEST_F(RouterTest, ListPeersPagesInConnectionOrderAndFilters) {
  auto b = Join("td/x", "b", 5);
  auto a = Join("td/y", "a", 2);
  auto c = Join("peerjs/k", "carol", 9);
  auto d = Join("td/x", "bob", 7);
  // The fixture's joins are all td; register one more as PeerJS.
  auto e = std::make_shared<FakePeer>();
  Router::JoinRequest r = Req("peerjs/k", "eve", 3, e, nullptr);
  r.protocol = sig::v1::PROTOCOL_PEERJS;
  ASSERT_TRUE(router_.Join(std::move(r)).ok());

  const auto ids = [](const std::vector<Router::PeerRecord>& page) {
    std::vector<std::uint64_t> out;
    for (const auto& record : page) out.push_back(record.conn_id);
    return out;
  };
  EXPECT_THAT(ids(router_.ListPeers({}, 0, 2)), ElementsAre(2, 3));
  EXPECT_THAT(ids(router_.ListPeers({}, 3, 2)), ElementsAre(5, 7));
  EXPECT_THAT(ids(router_.ListPeers({}, 7, 2)), ElementsAre(9));
  EXPECT_THAT(ids(router_.ListPeers({}, 9, 2)), IsEmpty());
  EXPECT_THAT(ids(router_.ListPeers({}, 0, 0)), IsEmpty());

  PeerFilter by_realm;
  by_realm.realm = "td/x";
  EXPECT_THAT(ids(router_.ListPeers(by_realm, 0, 10)), ElementsAre(5, 7));
  PeerFilter by_prefix;
  by_prefix.name_prefix = "b";
  EXPECT_THAT(ids(router_.ListPeers(by_prefix, 0, 10)), ElementsAre(5, 7));
  PeerFilter by_protocol;
  by_protocol.protocol = sig::v1::PROTOCOL_PEERJS;
  const auto peerjs = router_.ListPeers(by_protocol, 0, 10);
  EXPECT_THAT(ids(peerjs), ElementsAre(3));
  EXPECT_EQ(peerjs[0].realm, "peerjs/k");
  EXPECT_EQ(peerjs[0].name, "eve");
  EXPECT_EQ(peerjs[0].peer, e);
}

TEST_F(RouterTest, ListPeersSkipsPeersWhoseConnectionIsGone) {
  Join("td/x", "gone", 1);  // the FakePeer dies here; its registration stays until Leave
  auto b = Join("td/x", "b", 2);
  const auto page = router_.ListPeers({}, 0, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].conn_id, 2u);
}

TEST_F(RouterTest, FindPeerByRealmAndName) {
  auto a = Join("td/x", "a", 4);
  auto found = router_.FindPeer("td/x", "a");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->conn_id, 4u);
  EXPECT_EQ(found->peer, a);
  EXPECT_FALSE(router_.FindPeer("td/x", "b").has_value());
  EXPECT_FALSE(router_.FindPeer("td/y", "a").has_value());
}

TEST(RouterEventsTest, JoinsAndLeavesArePublishedInOrder) {
  testing::FakeClock clock;
  EventHub hub;
  Router router(clock, {}, &hub);
  auto watcher = hub.Subscribe({}, 16);
  auto peer = std::make_shared<FakePeer>();
  ASSERT_TRUE(router.Join(Req("td/x", "a", 1, peer, nullptr)).ok());
  router.Leave("td/x", "a", 2);  // not the holder: no event
  router.Leave("td/x", "a", 1);
  PeerEvent event;
  std::uint64_t dropped = 0;
  ASSERT_EQ(watcher->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  EXPECT_EQ(event.kind, PeerEvent::Kind::kJoined);
  EXPECT_EQ(event.realm, "td/x");
  EXPECT_EQ(event.name, "a");
  EXPECT_EQ(event.conn_id, 1u);
  EXPECT_EQ(event.at, clock.Now());
  ASSERT_EQ(watcher->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  EXPECT_EQ(event.kind, PeerEvent::Kind::kLeft);
  EXPECT_EQ(watcher->TryNext(&event, &dropped),
            EventSubscription::Take::kEmpty);
}

}  // namespace
}  // namespace sig::core
