#include "core/router.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
    return MakeFrame("joined:" + std::string(name));
  }
  Frame PeerLeft(std::string_view name) const override {
    return MakeFrame("left:" + std::string(name));
  }
};

sig::v1::Envelope Direct(std::string realm, std::string from, std::string to, std::string frame) {
  sig::v1::Envelope e;
  e.set_route(sig::v1::ROUTE_DIRECT);
  e.set_realm(std::move(realm));
  e.set_from(std::move(from));
  e.set_to(std::move(to));
  e.set_frame(std::move(frame));
  return e;
}

class RouterTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakePeer> Join(std::string_view realm, std::string_view name, std::uint64_t id) {
    auto peer = std::make_shared<FakePeer>();
    auto names = router_.Join(realm, name, id, peer, &notices_);
    EXPECT_TRUE(names.ok()) << names.status();
    return peer;
  }

  TextNotices notices_;
  Router router_;
};

TEST_F(RouterTest, JoinReturnsEveryNameAndAnnouncesToOthers) {
  auto a = Join("td/", "a", 1);
  auto b = std::make_shared<FakePeer>();
  auto names = router_.Join("td/", "b", 2, b, &notices_);
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, UnorderedElementsAre("a", "b"));
  EXPECT_THAT(a->Texts(), ElementsAre("joined:b"));
  EXPECT_THAT(b->Texts(), IsEmpty());
  EXPECT_EQ(router_.peer_count(), 2u);
}

TEST_F(RouterTest, TakenNameIsAlreadyExistsAndFreeAfterLeave) {
  auto a = Join("td/", "a", 1);
  auto other = std::make_shared<FakePeer>();
  auto taken = router_.Join("td/", "a", 2, other, &notices_);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  router_.Leave("td/", "a", 1);
  EXPECT_TRUE(router_.Join("td/", "a", 2, other, &notices_).ok());
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
  sig::v1::Envelope e;
  e.set_route(sig::v1::ROUTE_BROADCAST);
  e.set_realm("td/");
  e.set_from("a");
  e.set_frame("event");
  ASSERT_TRUE(router_.Route(std::move(e)).ok());
  EXPECT_EQ(a->Texts().back(), "joined:c");
  ASSERT_EQ(b->Frames().back(), c->Frames().back());  // the same shared buffer
  EXPECT_EQ(*b->Frames().back(), "event");
  EXPECT_THAT(elsewhere->Texts(), IsEmpty());
}

TEST_F(RouterTest, RealmsAreSeparateNamespaces) {
  auto a1 = Join("td/r1", "a", 1);
  auto a2 = Join("td/r2", "a", 2);
  auto b1 = std::make_shared<FakePeer>();
  auto names = router_.Join("td/r1", "b", 3, b1, &notices_);
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, UnorderedElementsAre("a", "b"));
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
  ASSERT_TRUE(router_.Join("peerjs/k", "a", 1, a, nullptr).ok());
  ASSERT_TRUE(router_.Join("peerjs/k", "b", 2, b, nullptr).ok());
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
        ASSERT_TRUE(router_.Join("td/", name, id, peer, nullptr).ok());
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

}  // namespace
}  // namespace sig::core
