#include "core/events.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace sig::core {

bool EventSubscription::Offer(const PeerEvent& event) {
  if (!filter_.Matches(event.protocol, event.realm, event.name)) return true;
  if (filter_.this_node_only && event.node != 0) return true;
  {
    MutexLock lock(&mu_);
    if (closed_) return true;
    if (queue_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    queue_.push_back(event);
  }
  Notify();
  return true;
}

void EventSubscription::Close() {
  {
    MutexLock lock(&mu_);
    closed_ = true;
  }
  Notify();
}

void EventSubscription::Notify() {
  MutexLock lock(&listener_mu_);
  if (listener_) listener_();
}

void EventSubscription::SetListener(Listener listener) {
  {
    MutexLock lock(&listener_mu_);
    listener_ = std::move(listener);
  }
  bool pending = false;
  {
    MutexLock lock(&mu_);
    pending = !queue_.empty() || closed_;
  }
  if (pending) Notify();
}

EventSubscription::Take EventSubscription::TryNext(PeerEvent* event, std::uint64_t* dropped) {
  MutexLock lock(&mu_);
  if (!queue_.empty()) {
    *event = std::move(queue_.front());
    queue_.pop_front();
    *dropped = std::exchange(dropped_, 0);
    return Take::kEvent;
  }
  return closed_ ? Take::kClosed : Take::kEmpty;
}

std::shared_ptr<EventSubscription> EventHub::Subscribe(PeerFilter filter, std::size_t capacity) {
  auto subscription = std::make_shared<EventSubscription>(std::move(filter), capacity);
  MutexLock lock(&mu_);
  if (closed_) {
    subscription->Close();
    return subscription;
  }
  subscriptions_.push_back(subscription);
  watchers_.store(subscriptions_.size(), std::memory_order_relaxed);
  return subscription;
}

void EventHub::Unsubscribe(const std::shared_ptr<EventSubscription>& subscription) {
  MutexLock lock(&mu_);
  std::erase(subscriptions_, subscription);
  watchers_.store(subscriptions_.size(), std::memory_order_relaxed);
}

void EventHub::Publish(const PeerEvent& event) {
  if (watchers_.load(std::memory_order_relaxed) == 0) return;
  ReaderMutexLock lock(&mu_);
  for (const auto& subscription : subscriptions_) {
    if (!subscription->Offer(event)) dropped_total_.fetch_add(1, std::memory_order_relaxed);
  }
}

void EventHub::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
  for (const auto& subscription : subscriptions_) subscription->Close();
  subscriptions_.clear();
  watchers_.store(0, std::memory_order_relaxed);
}

}  // namespace sig::core
