#include "bus/redis_bus.h"

#include <utility>

#include <boost/asio/post.hpp>

#include "bus/keys.h"
#include "bus/redis_link.h"

namespace sig::bus {

RedisBus::RedisBus(boost::asio::any_io_executor executor, std::shared_ptr<RedisLink> link,
                   core::NodeId node, Window window)
    : executor_(std::move(executor)),
      link_(std::move(link)),
      origin_("B\t" + std::to_string(node) + "\t"),
      window_(window) {}

core::Bus::State RedisBus::state() const {
  if (fenced_.load(std::memory_order_relaxed)) return State::kFenced;
  return up_.load(std::memory_order_relaxed) ? State::kUp : State::kDown;
}

core::Bus::Counters RedisBus::counters() const {
  Counters c;
  c.reconnects = reconnects_.load(std::memory_order_relaxed);
  c.sent = sent_.load(std::memory_order_relaxed);
  c.received = received_.load(std::memory_order_relaxed);
  c.unheard = unheard_.load(std::memory_order_relaxed);
  c.dropped_down = dropped_down_.load(std::memory_order_relaxed);
  c.dropped_full = dropped_full_.load(std::memory_order_relaxed);
  c.in_flight_frames = in_flight_frames_.load(std::memory_order_relaxed);
  c.in_flight_bytes = in_flight_bytes_.load(std::memory_order_relaxed);
  c.nodes = nodes_.load(std::memory_order_relaxed);
  return c;
}

void RedisBus::SetUp(bool up) {
  const bool was_up = up_.exchange(up, std::memory_order_relaxed);
  if (up && !was_up) {
    if (ever_up_) reconnects_.fetch_add(1, std::memory_order_relaxed);
    ever_up_ = true;
  }
  NotifyState();
}

void RedisBus::SetFenced(bool fenced) {
  fenced_.store(fenced, std::memory_order_relaxed);
  NotifyState();
}

void RedisBus::SetStateListener(StateListener listener) {
  core::MutexLock lock(&listener_mu_);
  listener_ = std::move(listener);
  told_.reset();
}

void RedisBus::NotifyState() {
  core::MutexLock lock(&listener_mu_);
  const State now = state();
  if (!listener_ || told_ == now) return;
  told_ = now;
  listener_(now);
}

std::optional<core::RelayFailure> RedisBus::Reserve(std::size_t bytes) {
  if (state() != State::kUp) {
    dropped_down_.fetch_add(1, std::memory_order_relaxed);
    return core::RelayFailure::kBusDown;
  }
  // Taken first and given back on refusal, so the bounds hold exactly across threads.
  const std::size_t frames = in_flight_frames_.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::size_t total = in_flight_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (frames > window_.max_frames || total > window_.max_bytes) {
    in_flight_frames_.fetch_sub(1, std::memory_order_relaxed);
    in_flight_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
    dropped_full_.fetch_add(1, std::memory_order_relaxed);
    return core::RelayFailure::kBusFull;
  }
  return std::nullopt;
}

void RedisBus::Publish(std::string channel, std::string payload, bool direct) {
  const std::size_t bytes = payload.size();
  // The window is given back when Redis answers, or when the command fails (the link went down
  // or was stopped: every command in flight is answered then).
  boost::asio::post(executor_, [this, channel = std::move(channel), payload = std::move(payload),
                                bytes, direct]() mutable {
    link_->Command({"PUBLISH", std::move(channel), std::move(payload)},
                   [this, bytes, direct](RedisConnection::Reply reply) {
                     in_flight_frames_.fetch_sub(1, std::memory_order_relaxed);
                     in_flight_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
                     if (!reply.ok()) return;
                     sent_.fetch_add(1, std::memory_order_relaxed);
                     // Nobody listens on a node's channel once the node is gone.
                     if (direct && reply->integer == 0) {
                       unheard_.fetch_add(1, std::memory_order_relaxed);
                     }
                   });
  });
}

std::optional<core::RelayFailure> RedisBus::SendToNode(core::NodeId node,
                                                       const sig::v1::Envelope& envelope) {
  std::string payload = "D";
  envelope.AppendToString(&payload);
  if (std::optional<core::RelayFailure> refused = Reserve(payload.size())) return refused;
  Publish(NodeKey(node), std::move(payload), /*direct=*/true);
  return std::nullopt;
}

void RedisBus::PublishToRealm(const sig::v1::Envelope& envelope) {
  std::string payload = origin_;
  envelope.AppendToString(&payload);
  if (Reserve(payload.size())) return;
  Publish(RealmChannel(envelope.realm()), std::move(payload), /*direct=*/false);
}

void RedisBus::OnNodeMessage(std::string_view payload) {
  if (sink_ == nullptr || !payload.starts_with('D')) return;
  sig::v1::Envelope envelope;
  payload.remove_prefix(1);
  if (!envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
  if (envelope.route() != sig::v1::ROUTE_DIRECT) return;
  received_.fetch_add(1, std::memory_order_relaxed);
  sink_->OnDirect(envelope);
}

void RedisBus::OnRealmBroadcast(std::string_view payload) {
  if (sink_ == nullptr || !payload.starts_with("B\t")) return;
  if (payload.starts_with(origin_)) return;  // this node's own: delivered here already
  const std::size_t tab = payload.find('\t', 2);
  if (tab == std::string_view::npos) return;
  payload.remove_prefix(tab + 1);
  sig::v1::Envelope envelope;
  if (!envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
  if (envelope.route() != sig::v1::ROUTE_BROADCAST) return;
  received_.fetch_add(1, std::memory_order_relaxed);
  sink_->OnRealm(envelope);
}

}  // namespace sig::bus
