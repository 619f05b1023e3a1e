#include "core/events.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace sig::core {

bool EventSubscription::Offer(const PeerEvent& event) {
  if (!filter_.Matches(event.protocol, event.realm, event.name)) return true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return true;
    if (queue_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    queue_.push_back(event);
  }
  cv_.notify_one();
  return true;
}

void EventSubscription::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

EventSubscription::Wait EventSubscription::Next(absl::Duration timeout, PeerEvent* event,
                                                std::uint64_t* dropped) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool ready = cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                                  [this] { return !queue_.empty() || closed_; });
  if (!queue_.empty()) {
    *event = std::move(queue_.front());
    queue_.pop_front();
    *dropped = std::exchange(dropped_, 0);
    return Wait::kEvent;
  }
  return ready ? Wait::kClosed : Wait::kTimeout;
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
