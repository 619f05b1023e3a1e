#pragma once

#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/time/time.h"
#include "bus/redis_bus.h"
#include "bus/redis_connection.h"
#include "core/bus.h"
#include "core/directory.h"

namespace sig::bus {

class NodeLease;
class RedisDirectory;
class RedisLink;

// What makes this process a node of a cluster on Redis: an incarnation id, the link to Redis and
// the node's lease, run on a thread of their own, and the directory and bus the core's Node is
// given. Build it, hand TakeDirectory() and TakeBus() to the core::Node, Start; Stop before the
// Node is destroyed (the thread calls into the directory and the bus).
class Cluster {
 public:
  struct Options {
    RedisAddress address;
    std::string password;
    absl::Duration lease = absl::Seconds(10);
    // What may be in flight towards Redis (cluster-design.md 2.2).
    RedisBus::Window window;
  };

  explicit Cluster(Options options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  std::unique_ptr<core::Directory> TakeDirectory();
  std::unique_ptr<core::Bus> TakeBus();

  void Start();
  // Gives the lease up (the node's names become free at once) and stops the thread.
  void Stop();

  core::NodeId node() const { return node_; }

 private:
  // Every second: frees the names of nodes whose lease is gone (Scripts::Reap), in chunks.
  void Sweep();
  void Reap(std::string node);

  const Options options_;
  const core::NodeId node_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<RedisLink> link_;
  std::shared_ptr<NodeLease> lease_;
  std::unique_ptr<RedisDirectory> directory_owned_;
  std::unique_ptr<RedisBus> bus_owned_;
  RedisDirectory* directory_;
  RedisBus* bus_;
  boost::asio::steady_timer sweep_timer_;
  std::thread thread_;
};

}  // namespace sig::bus
