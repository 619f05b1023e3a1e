#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/time/time.h"
#include "bus/redis_link.h"

namespace sig::bus {

// This node's lease, the key that makes its names valid (cluster-design.md 1.2):
// sig:node:<nid> holds a random token of this incarnation for `lease`. Taken with SET NX PX when
// the link is up, refreshed every lease/5 by the owner-checked script.
//
// Fencing: the lease counts from a refresh's arrival at Redis, which is after its send; so the
// node measures from the send of its last successful refresh and, lease - lease/5 after it,
// declares itself fenced. It then stops before Redis can let the lease lapse, and no name is ever
// served by two nodes. Once fenced, the lease is taken afresh when Redis answers again.
//
// Runs on the link's executor.
class NodeLease : public std::enable_shared_from_this<NodeLease> {
 public:
  static std::shared_ptr<NodeLease> Create(boost::asio::any_io_executor executor,
                                           std::shared_ptr<RedisLink> link, std::uint64_t node,
                                           absl::Duration lease);
  NodeLease(const NodeLease&) = delete;
  NodeLease& operator=(const NodeLease&) = delete;

  // Runs when the lease is taken (and taken again after a fence).
  void OnHeld(std::function<void()> handler) { on_held_ = std::move(handler); }
  // Runs when the node must stop serving its names.
  void OnFenced(std::function<void()> handler) { on_fenced_ = std::move(handler); }

  // Starts taking and refreshing the lease; tries again every lease/5 while Redis is away.
  void Start();
  // The link to Redis is up again: a lease not held is taken now, not at the next tick, so a
  // node becomes ready as soon as Redis answers.
  void OnLinkUp();
  // Stops refreshing and gives the lease up if it is still this incarnation's (clean shutdown).
  void Stop();

  bool held() const { return held_; }
  const std::string& token() const { return token_; }

 private:
  using Clock = std::chrono::steady_clock;

  NodeLease(boost::asio::any_io_executor executor, std::shared_ptr<RedisLink> link,
            std::uint64_t node, absl::Duration lease);

  void Tick();
  // The refresh sent at `sent` succeeded: the lease runs at least until sent + lease.
  void Renewed(Clock::time_point sent);
  void ArmFence();

  std::shared_ptr<RedisLink> link_;
  const std::string key_;
  const absl::Duration lease_;
  const std::string token_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer fence_timer_;
  bool held_ = false;
  bool stopped_ = false;
  Clock::time_point last_renewed_send_{};
  std::function<void()> on_held_;
  std::function<void()> on_fenced_;
};

}  // namespace sig::bus
