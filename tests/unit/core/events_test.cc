#include "core/events.h"

#include <thread>

#include "gtest/gtest.h"

namespace sig::core {
namespace {

PeerEvent Joined(std::string realm, std::string name, Protocol protocol = sig::v1::PROTOCOL_TD) {
  PeerEvent event;
  event.kind = PeerEvent::Kind::kJoined;
  event.protocol = protocol;
  event.realm = std::move(realm);
  event.name = std::move(name);
  return event;
}

TEST(EventHubTest, PublishWithoutWatchersIsANoOp) {
  EventHub hub;
  hub.Publish(Joined("td/x", "a"));
  EXPECT_EQ(hub.watchers(), 0u);
  EXPECT_EQ(hub.dropped_total(), 0u);
}

TEST(EventHubTest, FilterSelectsEvents) {
  EventHub hub;
  PeerFilter filter;
  filter.protocol = sig::v1::PROTOCOL_PEERJS;
  filter.name_prefix = "al";
  auto sub = hub.Subscribe(filter, 8);
  hub.Publish(Joined("peerjs/k", "bob", sig::v1::PROTOCOL_PEERJS));
  hub.Publish(Joined("td/x", "alice"));
  hub.Publish(Joined("peerjs/k", "alice", sig::v1::PROTOCOL_PEERJS));
  PeerEvent event;
  std::uint64_t dropped = 0;
  ASSERT_EQ(sub->Next(absl::ZeroDuration(), &event, &dropped), EventSubscription::Wait::kEvent);
  EXPECT_EQ(event.realm, "peerjs/k");
  EXPECT_EQ(event.name, "alice");
  EXPECT_EQ(sub->Next(absl::ZeroDuration(), &event, &dropped), EventSubscription::Wait::kTimeout);
}

// A watcher that does not read holds at most `capacity` events; the rest are counted, and the
// count arrives with the next event taken.
TEST(EventHubTest, SlowWatcherIsBoundedAndToldWhatItLost) {
  EventHub hub;
  auto slow = hub.Subscribe({}, 2);
  auto fast = hub.Subscribe({}, 100);
  for (int i = 0; i < 5; ++i) hub.Publish(Joined("td/x", std::to_string(i)));
  EXPECT_EQ(hub.dropped_total(), 3u);
  PeerEvent event;
  std::uint64_t dropped = 0;
  ASSERT_EQ(slow->Next(absl::ZeroDuration(), &event, &dropped), EventSubscription::Wait::kEvent);
  EXPECT_EQ(event.name, "0");
  EXPECT_EQ(dropped, 3u);
  ASSERT_EQ(slow->Next(absl::ZeroDuration(), &event, &dropped), EventSubscription::Wait::kEvent);
  EXPECT_EQ(event.name, "1");
  EXPECT_EQ(dropped, 0u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(fast->Next(absl::ZeroDuration(), &event, &dropped), EventSubscription::Wait::kEvent);
    EXPECT_EQ(dropped, 0u);
  }
}

TEST(EventHubTest, CloseWakesAWaitingWatcherAndRefusesNewOnes) {
  EventHub hub;
  auto sub = hub.Subscribe({}, 4);
  EventSubscription::Wait result = EventSubscription::Wait::kTimeout;
  std::thread waiter([&] {
    PeerEvent event;
    std::uint64_t dropped = 0;
    // Bounded: the test fails rather than hangs if Close never wakes it.
    result = sub->Next(absl::Seconds(30), &event, &dropped);
  });
  hub.Close();
  waiter.join();
  EXPECT_EQ(result, EventSubscription::Wait::kClosed);
  EXPECT_EQ(hub.watchers(), 0u);
  auto late = hub.Subscribe({}, 4);
  PeerEvent event;
  std::uint64_t dropped = 0;
  EXPECT_EQ(late->Next(absl::ZeroDuration(), &event, &dropped), EventSubscription::Wait::kClosed);
}

TEST(EventHubTest, UnsubscribeStopsDelivery) {
  EventHub hub;
  auto sub = hub.Subscribe({}, 4);
  hub.Unsubscribe(sub);
  EXPECT_EQ(hub.watchers(), 0u);
  hub.Publish(Joined("td/x", "a"));
  PeerEvent event;
  std::uint64_t dropped = 0;
  EXPECT_EQ(sub->Next(absl::ZeroDuration(), &event, &dropped), EventSubscription::Wait::kTimeout);
}

}  // namespace
}  // namespace sig::core
