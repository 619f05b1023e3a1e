#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "core/peer_filter.h"
#include "core/stats.h"

namespace sig::core {

// A change in who is connected, as the admin plane's WatchEvents reports it.
struct PeerEvent {
  enum class Kind : std::uint8_t { kJoined, kLeft, kKicked };
  Kind kind = Kind::kJoined;
  Protocol protocol = sig::v1::PROTOCOL_TD;
  std::string realm;
  std::string name;
  std::uint64_t conn_id = 0;
  absl::Time at;
  // kKicked only: the close code and reason the operator gave.
  std::uint16_t close_code = 0;
  std::string reason;
  // Another node of the cluster, for events its admin plane forwarded; 0: this node.
  std::uint64_t node = 0;
};

// One watcher's bounded queue of events. A watcher that falls behind loses the newest events,
// never memory: past `capacity` each event is counted as dropped instead of queued, and the
// count is handed to the watcher with the next event it takes. Nothing waits on it: the watcher
// takes events when its listener says there are some, so no thread is parked per watcher.
class EventSubscription {
 public:
  EventSubscription(PeerFilter filter, std::size_t capacity)
      : filter_(std::move(filter)), capacity_(capacity) {}

  // Called, on whatever thread published, after an event is queued and when the subscription
  // closes; also at once by SetListener if either has already happened. It must not block (it
  // may run under the router's locks) and should take what is there with TryNext.
  using Listener = std::function<void()>;
  // Replaces the listener; with nullptr, returns only once no call of the old one is running,
  // so its owner may then go away.
  void SetListener(Listener listener);

  enum class Take { kEvent, kEmpty, kClosed };
  // On kEvent, `*event` is the oldest queued event and `*dropped` the events lost since the
  // previous kEvent (usually 0). kClosed once closed and drained.
  Take TryNext(PeerEvent* event, std::uint64_t* dropped);

 private:
  friend class EventHub;
  // Returns false when the event was dropped for want of room.
  bool Offer(const PeerEvent& event);
  void Close();
  void Notify();

  const PeerFilter filter_;
  const std::size_t capacity_;
  Mutex mu_;
  std::deque<PeerEvent> queue_ ABSL_GUARDED_BY(mu_);
  std::uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Held while the listener runs, so that clearing it waits for a call in progress.
  Mutex listener_mu_;
  Listener listener_ ABSL_GUARDED_BY(listener_mu_);
};

// Fans peer events out to the current watchers. Thread-safe. Publishing costs one atomic load
// when nobody watches, so the router can call it on every join and leave.
class EventHub {
 public:
  std::shared_ptr<EventSubscription> Subscribe(PeerFilter filter, std::size_t capacity);
  void Unsubscribe(const std::shared_ptr<EventSubscription>& subscription);
  void Publish(const PeerEvent& event);
  // Ends every subscription (their Next returns kClosed) and refuses new ones: shutdown.
  void Close();

  std::size_t watchers() const { return watchers_.load(std::memory_order_relaxed); }
  // Events lost to slow watchers since start.
  std::uint64_t dropped_total() const { return dropped_total_.load(std::memory_order_relaxed); }

 private:
  mutable Mutex mu_;
  std::vector<std::shared_ptr<EventSubscription>> subscriptions_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<std::size_t> watchers_{0};
  std::atomic<std::uint64_t> dropped_total_{0};
};

}  // namespace sig::core
