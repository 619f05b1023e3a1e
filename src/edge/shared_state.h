#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "core/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/close_code.h"
#include "core/connection_set.h"
#include "core/events.h"
#include "core/lifecycle.h"
#include "core/limits.h"
#include "core/peer.h"
#include "core/router.h"
#include "core/stats.h"
#include "edge/peerjs_codec.h"
#include "edge/peerjs_options.h"
#include "edge/td_codec.h"

namespace sig::edge {


// Everything sessions share: one per server, outliving every session.
struct SharedState {
  SharedState(const core::Limits& l, const core::Clock& c, PeerJsOptions p = {})
      : limits(l),
        clock(c),
        peerjs(std::move(p)),
        router(c,
               core::HoldLimits{l.held_max_frames_per_target, l.held_max_bytes_per_target,
                                l.held_max_frames_per_sender},
               &events),
        td_codec(l),
        peerjs_codec(l) {}

  std::uint64_t NextConnectionId() { return next_id.fetch_add(1, std::memory_order_relaxed); }

  const core::Limits& limits;
  const core::Clock& clock;
  const PeerJsOptions peerjs;
  core::EventHub events;  // before the router, which publishes to it
  core::Router router;
  core::ConnectionSet connections;
  TdCodec td_codec;
  PeerJsCodec peerjs_codec;
  absl::Time started_at = clock.Now();
  std::atomic<std::uint64_t> next_id{1};
  // WebSocket sessions still allocated, ended or not. One that outlives its connection is a
  // leak: the churn benchmark found sessions kept alive by writes started after their end.
  std::atomic<std::int64_t> live_sessions{0};
  core::Stats stats;
  core::Lifecycle lifecycle;
};

}  // namespace sig::edge
