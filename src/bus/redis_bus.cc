#include "bus/redis_bus.h"

#include <utility>

#include <boost/asio/post.hpp>

#include "bus/keys.h"
#include "bus/redis_link.h"

namespace sig::bus {

RedisBus::RedisBus(boost::asio::any_io_executor executor, std::shared_ptr<RedisLink> link,
                   core::NodeId node)
    : executor_(std::move(executor)),
      link_(std::move(link)),
      origin_("B\t" + std::to_string(node) + "\t") {}

core::Bus::State RedisBus::state() const {
  if (fenced_.load(std::memory_order_relaxed)) return State::kFenced;
  return up_.load(std::memory_order_relaxed) ? State::kUp : State::kDown;
}

void RedisBus::Publish(std::string channel, std::string payload) {
  boost::asio::post(executor_, [link = link_, channel = std::move(channel),
                                payload = std::move(payload)]() mutable {
    link->Command({"PUBLISH", std::move(channel), std::move(payload)},
                  [](RedisConnection::Reply) {});
  });
}

bool RedisBus::SendToNode(core::NodeId node, const sig::v1::Envelope& envelope) {
  if (!up_.load(std::memory_order_relaxed)) return false;
  std::string payload = "D";
  envelope.AppendToString(&payload);
  Publish(NodeKey(node), std::move(payload));
  return true;
}

void RedisBus::PublishToRealm(const sig::v1::Envelope& envelope) {
  if (!up_.load(std::memory_order_relaxed)) return;
  std::string payload = origin_;
  envelope.AppendToString(&payload);
  Publish(RealmChannel(envelope.realm()), std::move(payload));
}

void RedisBus::OnNodeMessage(std::string_view payload) {
  if (sink_ == nullptr || !payload.starts_with('D')) return;
  sig::v1::Envelope envelope;
  payload.remove_prefix(1);
  if (!envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
  if (envelope.route() == sig::v1::ROUTE_DIRECT) sink_->OnDirect(envelope);
}

void RedisBus::OnRealmBroadcast(std::string_view payload) {
  if (sink_ == nullptr || !payload.starts_with("B\t")) return;
  if (payload.starts_with(origin_)) return;  // this node's own: delivered here already
  const std::size_t tab = payload.find('\t', 2);
  if (tab == std::string_view::npos) return;
  payload.remove_prefix(tab + 1);
  sig::v1::Envelope envelope;
  if (!envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
  if (envelope.route() == sig::v1::ROUTE_BROADCAST) sink_->OnRealm(envelope);
}

}  // namespace sig::bus
