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

// Live WebSocket connections, logged in or not, so shutdown can close every one of them.
// Thread-safe; touched once per connect and once per disconnect, never per message.
class ConnectionSet {
 public:
  void Add(std::uint64_t id, std::weak_ptr<core::Peer> peer);
  void Remove(std::uint64_t id);
  // Asks every live connection to close with `code`.
  void CloseAll(core::CloseCode code, std::string_view reason);
  std::size_t size() const;

 private:
  mutable core::Mutex mu_;
  absl::flat_hash_map<std::uint64_t, std::weak_ptr<core::Peer>> peers_ ABSL_GUARDED_BY(mu_);
};

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
  ConnectionSet connections;
  TdCodec td_codec;
  PeerJsCodec peerjs_codec;
  absl::Time started_at = clock.Now();
  std::atomic<std::uint64_t> next_id{1};
  core::Stats stats;
  core::Lifecycle lifecycle;
};

}  // namespace sig::edge
