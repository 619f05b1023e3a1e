#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "core/bus.h"

namespace sig::bus {

class RedisLink;

// The bus of a cluster node on Redis pub/sub (cluster-design.md 2): a frame for a peer on
// another node is published on that node's channel ("D" + the envelope), a broadcast on the
// realm's channel ("B\t<origin nid>\t" + the envelope; the origin skips its own). Joins and
// leaves are announced by the directory's scripts, so Announce has nothing to do.
//
// Send and publish may be called from any thread: the envelope is encoded there and handed to
// the bus's executor. At-most-once: a frame sent while Redis is away is refused, one in flight
// when it goes is lost.
class RedisBus final : public core::Bus {
 public:
  RedisBus(boost::asio::any_io_executor executor, std::shared_ptr<RedisLink> link,
           core::NodeId node);

  void SetSink(core::BusSink* sink) override { sink_ = sink; }
  bool SendToNode(core::NodeId node, const sig::v1::Envelope& envelope) override;
  void PublishToRealm(const sig::v1::Envelope& envelope) override;
  void Announce(const core::MembershipChange&) override {}

  // What arrives on this node's channel, and a broadcast on a realm's. On the executor.
  void OnNodeMessage(std::string_view payload);
  void OnRealmBroadcast(std::string_view payload);

  State state() const override;

  // Whether Redis is reachable, and whether the node is fenced; set by the cluster.
  void SetUp(bool up) { up_.store(up, std::memory_order_relaxed); }
  void SetFenced(bool fenced) { fenced_.store(fenced, std::memory_order_relaxed); }

 private:
  void Publish(std::string channel, std::string payload);

  boost::asio::any_io_executor executor_;
  std::shared_ptr<RedisLink> link_;
  const std::string origin_;  // "B\t<nid>\t"
  core::BusSink* sink_ = nullptr;
  std::atomic<bool> up_{false};
  std::atomic<bool> fenced_{false};
};

}  // namespace sig::bus
