#pragma once

#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "core/bus.h"
#include "core/clock.h"
#include "core/connection_set.h"
#include "core/directory.h"
#include "core/events.h"
#include "core/hold_store.h"
#include "core/lifecycle.h"
#include "core/limits.h"
#include "core/local_directory.h"
#include "core/router.h"
#include "core/stats.h"

namespace sig::core {

// The protocol-neutral state of one sigd process: the router and the event hub it publishes
// to, the open connections, the counters and the lifecycle. main builds it (a test builds its
// own) and lends it to the edge, which serves peers with it, and to the admin plane, which
// reports on it and acts on it; neither owns it, and it outlives both. A cluster node is given
// its directory and bus here; without them the node serves alone (LocalDirectory, LocalBus).
struct Node {
  Node(const Limits& node_limits, const Clock& node_clock,
       std::unique_ptr<Directory> node_directory = nullptr, std::unique_ptr<Bus> node_bus = nullptr)
      : limits(node_limits),
        clock(node_clock),
        directory(node_directory ? std::move(node_directory) : std::make_unique<LocalDirectory>()),
        bus(node_bus ? std::move(node_bus) : std::make_unique<LocalBus>()),
        holds(node_clock,
              HoldLimits{node_limits.held_max_frames_per_target,
                         node_limits.held_max_bytes_per_target,
                         node_limits.held_max_frames_per_sender,
                         node_limits.held_max_bytes_per_sender, node_limits.held_max_bytes,
                         node_limits.held_max_frames}),
        router(node_clock, *directory, holds, *bus, &events),
        started_at(node_clock.Now()) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const Limits& limits;
  const Clock& clock;
  EventHub events;  // before the router, which publishes to it
  const std::unique_ptr<Directory> directory;  // who holds which name
  const std::unique_ptr<Bus> bus;              // the other nodes
  HoldStore holds;                             // frames for absent PeerJS peers
  Router router;
  ConnectionSet connections;
  Stats stats;
  Lifecycle lifecycle;
  const absl::Time started_at;
};

}  // namespace sig::core
