#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/limits.h"
#include "edge/edge_context.h"
#include "edge/host_port.h"

namespace boost::asio {
class io_context;
}

namespace sig::edge {

// The HTTP + WebSocket listener and the I/O threads that run every session.
//
// Threading: one io_context per thread, each run by exactly one thread, and accepted sockets
// dealt round-robin across them. A session's handlers therefore all run on one thread with no
// strand, and cross-thread work (Peer::Deliver) is a post to the target's io_context. Chosen
// over one shared io_context with a strand per session because it keeps a session's state on
// one core's cache, spends no strand locking per handler, and sends every completion through
// its own thread's queue instead of one shared scheduler. Measured with sigbench
// (docs/benchmarks.md, "Threading"): one thread pinned to a core relays about 140,000 PeerJS
// messages/s flat out, and the user-space cost per message is mostly the JSON's, not the
// scheduler's. The strand design was not built, so the two were not measured side by side.
class Server {
 public:
  struct Options {
    // "::" takes IPv6 and IPv4 (dual-stack), falling back to IPv4 alone where the host has no
    // IPv6.
    std::string host = "::";
    std::uint16_t port = 8080;  // 0: pick a free port; port() tells which
    // A listener of its own for GET /metrics (plain HTTP; the public port then answers 404).
    std::optional<HostPort> metrics;
    unsigned threads = 0;       // 0: one per core
    PeerJsOptions peerjs;
    // Origins a WebSocket upgrade may come from (empty: any); see AdmitUpgrade.
    std::vector<std::string> allowed_origins;
    // PEM files. With both set, the listener speaks only TLS (https://, wss://).
    std::string tls_cert_file;
    std::string tls_key_file;
    // How often frames held for absent PeerJS peers are checked for expiry.
    absl::Duration hold_sweep_interval = absl::Milliseconds(250);
    // Checks the access tokens of logins (auth::JwtVerifier); null: auth off. Must outlive the
    // server.
    const auth::TokenVerifier* verifier = nullptr;
    // Mints TURN credentials; null: TURN off. Must outlive the server.
    const auth::TurnIssuer* turn = nullptr;
    bool turn_public = false;  // GET /turn-credentials without a token while auth is off
    // Peers whose X-Forwarded-For / Forwarded (and, with proxy_protocol, PROXY v2 header) name
    // the client.
    TrustedProxies trusted_proxies;
    bool proxy_protocol = false;
  };

  // Serves peers with `node`, which must outlive the server.
  Server(Options options, core::Node& node);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads. Fails if the address cannot be bound.
  absl::Status Start();

  // The bound address and port, once started ("::" may have fallen back to "0.0.0.0").
  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }
  // The metrics listener's port, once started with one.
  std::uint16_t metrics_port() const { return metrics_port_; }

  // Draining (state().lifecycle.Drain) refuses upgrades at once and closes the remaining
  // WebSockets with 1012 after the drain's grace period; the server keeps running.
  //
  // Refuses new connections, closes every WebSocket with 1001 after flushing what is queued,
  // waits up to limits.shutdown_grace for them to finish, then stops the threads. Idempotent.
  void Shutdown();

  EdgeContext& state() { return state_; }

 private:
  class Listener;
  class PeriodicTask;
  absl::Status LoadTls();
  class DrainTimer;

  Options options_;
  EdgeContext state_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::thread> threads_;
  std::shared_ptr<Listener> listener_;
  std::shared_ptr<Listener> metrics_listener_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<PeriodicTask> sweeper_;  // expires PeerJS holds
  std::shared_ptr<DrainTimer> drain_timer_;
  std::size_t drain_listener_ = 0;  // in state_.lifecycle
  std::string host_;
  std::uint16_t port_ = 0;
  std::uint16_t metrics_port_ = 0;
  bool stopped_ = false;
};

}  // namespace sig::edge
