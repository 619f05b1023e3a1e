#include "core/events.h"


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
  ASSERT_EQ(sub->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  EXPECT_EQ(event.realm, "peerjs/k");
  EXPECT_EQ(event.name, "alice");
  EXPECT_EQ(sub->TryNext(&event, &dropped), EventSubscription::Take::kEmpty);
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
  ASSERT_EQ(slow->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  EXPECT_EQ(event.name, "0");
  EXPECT_EQ(dropped, 3u);
  ASSERT_EQ(slow->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  EXPECT_EQ(event.name, "1");
  EXPECT_EQ(dropped, 0u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(fast->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
    EXPECT_EQ(dropped, 0u);
  }
}

// The listener hears of each queued event and of the close, on the publishing thread; one set
// after the fact is called at once; once cleared it is never called again.
TEST(EventHubTest, ListenerHearsEventsAndTheCloseAndRefusesNewOnesAfter) {
  EventHub hub;
  auto sub = hub.Subscribe({}, 4);
  int calls = 0;
  sub->SetListener([&] { ++calls; });
  EXPECT_EQ(calls, 0);
  hub.Publish(Joined("td/x", "a"));
  EXPECT_EQ(calls, 1);
  auto late_listener = hub.Subscribe({}, 4);
  hub.Publish(Joined("td/x", "b"));
  int late_calls = 0;
  late_listener->SetListener([&] { ++late_calls; });  // an event is already queued
  EXPECT_EQ(late_calls, 1);
  hub.Close();
  EXPECT_EQ(calls, 3);
  PeerEvent event;
  std::uint64_t dropped = 0;
  EXPECT_EQ(sub->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  EXPECT_EQ(sub->TryNext(&event, &dropped), EventSubscription::Take::kEvent);
  EXPECT_EQ(sub->TryNext(&event, &dropped), EventSubscription::Take::kClosed);
  EXPECT_EQ(hub.watchers(), 0u);
  auto refused = hub.Subscribe({}, 4);
  EXPECT_EQ(refused->TryNext(&event, &dropped), EventSubscription::Take::kClosed);
  sub->SetListener(nullptr);
  hub.Publish(Joined("td/x", "c"));
  EXPECT_EQ(calls, 3);
}

TEST(EventHubTest, UnsubscribeStopsDelivery) {
  EventHub hub;
  auto sub = hub.Subscribe({}, 4);
  hub.Unsubscribe(sub);
  EXPECT_EQ(hub.watchers(), 0u);
  hub.Publish(Joined("td/x", "a"));
  PeerEvent event;
  std::uint64_t dropped = 0;
  EXPECT_EQ(sub->TryNext(&event, &dropped), EventSubscription::Take::kEmpty);
}

}  // namespace
}  // namespace sig::core
