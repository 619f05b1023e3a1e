#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "core/mutex.h"
#include "absl/time/time.h"
#include "auth/token_verifier.h"
#include "auth/turn_credentials.h"
#include "edge/client_address.h"
#include "edge/refusal_log.h"
#include "core/clock.h"
#include "core/close_code.h"
#include "core/connection_set.h"
#include "core/events.h"
#include "core/lifecycle.h"
#include "core/limits.h"
#include "core/node.h"
#include "core/peer.h"
#include "core/router.h"
#include "core/stats.h"
#include "edge/address_limit.h"
#include "edge/auth_failure_limit.h"
#include "edge/peerjs_codec.h"
#include "edge/peerjs_options.h"
#include "edge/td_codec.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace sig::edge {

struct EdgeContext;

// A WebSocket session's places under max_connections and max_connections_per_ip, taken before
// the upgrade (EdgeContext::TryAdmitSession) and given back when the slot is destroyed, with
// the session that owns it. Move-only.
class SessionSlot {
 public:
  SessionSlot() = default;
  SessionSlot(EdgeContext& state, const AddressLimit::Key& key) : state_(&state), key_(key) {}
  SessionSlot(SessionSlot&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)), key_(other.key_) {}
  SessionSlot& operator=(SessionSlot&&) = delete;
  ~SessionSlot();

 private:
  EdgeContext* state_ = nullptr;
  AddressLimit::Key key_{};
};

// What every session of the edge works in: the core::Node it serves peers with (borrowed; the
// named references below are its parts), and the edge's own pieces: protocol settings, the
// codecs, admission state, TLS. One per server, outliving every session.
struct EdgeContext {
  explicit EdgeContext(core::Node& core_node, PeerJsOptions p = {},
                       std::vector<std::string> origins = {})
      : node(core_node),
        limits(core_node.limits),
        clock(core_node.clock),
        router(core_node.router),
        connections(core_node.connections),
        stats(core_node.stats),
        events(core_node.events),
        lifecycle(core_node.lifecycle),
        peerjs(std::move(p)),
        allowed_origins(std::move(origins)),
        td_codec(core_node.limits),
        peerjs_codec(core_node.limits) {
    core_node.stats.SetFrameTypeNames(sig::v1::PROTOCOL_TD, kTdTypeNames);
    core_node.stats.SetFrameTypeNames(sig::v1::PROTOCOL_PEERJS, kPeerJsTypeNames);
  }

  std::uint64_t NextConnectionId() { return next_id.fetch_add(1, std::memory_order_relaxed); }

  enum class Admission { kAdmitted, kServerFull, kAddressFull };
  // Takes places for a WebSocket session about to be made from the client address `key` if
  // max_connections and max_connections_per_ip allow it; `slot` holds them then, and gives them
  // back when destroyed. Exact across threads.
  Admission TryAdmitSession(const AddressLimit::Key& key, std::optional<SessionSlot>& slot) {
    std::int64_t live = live_sessions.load(std::memory_order_relaxed);
    do {
      if (live >= static_cast<std::int64_t>(limits.max_connections)) return Admission::kServerFull;
    } while (!live_sessions.compare_exchange_weak(live, live + 1, std::memory_order_relaxed));
    if (!address_limit.TryAcquire(key)) {
      live_sessions.fetch_sub(1, std::memory_order_relaxed);
      return Admission::kAddressFull;
    }
    slot.emplace(*this, key);
    return Admission::kAdmitted;
  }

  core::Node& node;
  const core::Limits& limits;
  const core::Clock& clock;
  core::Router& router;
  core::ConnectionSet& connections;
  core::Stats& stats;
  core::EventHub& events;
  core::Lifecycle& lifecycle;

  const PeerJsOptions peerjs;
  const std::vector<std::string> allowed_origins;
  // Set (before any connection) when the server speaks TLS: every connection then starts with a
  // TLS handshake. Owned by the Server.
  boost::asio::ssl::context* tls = nullptr;
  // Checks the access tokens of logins (td's login message, PeerJS's token parameter); null
  // while auth is off. Owned by whoever set it.
  const auth::TokenVerifier* verifier = nullptr;
  // Whether logins (and the HTTP endpoints that hand out peers and TURN credentials) need a
  // valid token.
  bool auth_on() const { return verifier != nullptr && verifier->enabled(); }
  // Mints TURN credentials (td's login_success, GET /turn-credentials); null while TURN is off.
  const auth::TurnIssuer* turn = nullptr;
  // GET /turn-credentials answers anyone while auth is off (TURN_PUBLIC); otherwise only a
  // bearer of a valid token, and 404 while auth is off.
  bool turn_public = false;
  // False when /metrics has a listener of its own (METRICS_ADDR): the public port answers 404.
  bool metrics_on_public = true;
  // TRUSTED_PROXIES: the peers whose X-Forwarded-For, Forwarded and (with proxy_protocol)
  // PROXY protocol v2 header say who the client is.
  TrustedProxies trusted_proxies;
  bool proxy_protocol = false;
  // Storms of refused upgrades, logged once per episode.
  RefusalLog refusals;
  // Bad tokens per client address (auth on): limits.auth_failure_burst at once, then one per
  // limits.auth_failure_refill.
  AuthFailureLimit auth_failures{limits.auth_failure_burst, limits.auth_failure_refill};
  TdCodec td_codec;
  PeerJsCodec peerjs_codec;
  std::atomic<std::uint64_t> next_id{1};
  // WebSocket sessions admitted (TryAdmitSession) and not yet destroyed, ended or not. One that
  // outlives its connection is a leak: the churn benchmark found sessions kept alive by writes
  // started after their end.
  std::atomic<std::int64_t> live_sessions{0};
  AddressLimit address_limit{limits.max_connections_per_ip};
};

inline SessionSlot::~SessionSlot() {
  if (state_ == nullptr) return;
  state_->live_sessions.fetch_sub(1, std::memory_order_relaxed);
  state_->address_limit.Release(key_);
}

}  // namespace sig::edge
