#pragma once

#include "absl/time/time.h"
#include "core/clock.h"
#include "core/connection_set.h"
#include "core/events.h"
#include "core/lifecycle.h"
#include "core/limits.h"
#include "core/router.h"
#include "core/stats.h"

namespace sig::core {

// The protocol-neutral state of one sigd process: the router and the event hub it publishes
// to, the open connections, the counters and the lifecycle. main builds it (a test builds its
// own) and lends it to the edge, which serves peers with it, and to the admin plane, which
// reports on it and acts on it; neither owns it, and it outlives both. This is where a cluster
// node's directory and bus will be given to the router.
struct Node {
  Node(const Limits& node_limits, const Clock& node_clock)
      : limits(node_limits),
        clock(node_clock),
        router(node_clock,
               HoldLimits{node_limits.held_max_frames_per_target,
                          node_limits.held_max_bytes_per_target,
                          node_limits.held_max_frames_per_sender,
                          node_limits.held_max_bytes_per_sender, node_limits.held_max_bytes,
                          node_limits.held_max_frames},
               &events),
        started_at(node_clock.Now()) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const Limits& limits;
  const Clock& clock;
  EventHub events;  // before the router, which publishes to it
  Router router;
  ConnectionSet connections;
  Stats stats;
  Lifecycle lifecycle;
  const absl::Time started_at;
};

}  // namespace sig::core
