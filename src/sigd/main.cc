// sigd: the signaling daemon. Configuration, wiring and signals only.
//
// Every flag can also be set through the environment variable of the same name in upper case
// (--ping_interval and PING_INTERVAL); a flag on the command line wins over the environment
// (sigd/command_line.h).

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>


#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "admin/admin_server.h"
#include "auth/jwt_verifier.h"
#include "auth/turn_credentials.h"
#include "bus/cluster.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"
#include "edge/client_address.h"
#include "edge/host_port.h"
#include "edge/server.h"
#include "logging/logger.h"
#include "sigd/command_line.h"
#include "sigd/probe.h"

namespace {
const sig::core::Limits kDefaults;
// --version: the release and the commit it was built from.
constexpr char kVersion[] = SIGD_VERSION " (commit " SIGD_COMMIT ")";
}  // namespace

#ifdef SIGD_JEMALLOC
// jemalloc reads this at its start (MALLOC_CONF in the environment still overrides it). Pages
// freed by a wave of disconnects go back to the kernel within about a second, purged by
// jemalloc's background thread rather than on the I/O threads; the defaults keep them for 10 s
// and then 10 s more as "muzzy" pages that RSS still counts.
extern "C" {
// NOLINTNEXTLINE: jemalloc's documented hook is this exact global symbol.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif

ABSL_FLAG(std::string, host, "::",
          "Address the HTTP and WebSocket listener binds (::: IPv6 and IPv4, or IPv4 alone where "
          "the host has no IPv6)");
ABSL_FLAG(std::string, metrics_addr, "",
          "host:port of a listener of its own for GET /metrics (e.g. 127.0.0.1:9090 or a private "
          "interface); the public port then answers 404 for it (empty: /metrics on the public "
          "port)");
ABSL_FLAG(int, port, 8080, "HTTP and WebSocket port (0: any free port, printed at startup)");
ABSL_FLAG(std::vector<std::string>, trusted_proxies, {},
          "Comma-separated CIDR blocks of the reverse proxies in front of sigd (10.0.0.0/8, "
          "fd00::/8): only from them are X-Forwarded-For and Forwarded (and with proxy_protocol "
          "a PROXY v2 header) taken as the client's address, for ListPeers, logs, "
          "max_connections_per_ip and the failed-login budget");
ABSL_FLAG(bool, proxy_protocol, false,
          "Connections from trusted_proxies begin with a PROXY protocol v2 header (HAProxy "
          "send-proxy-v2, nginx proxy_protocol); one without it is closed");
ABSL_FLAG(int, threads, 0, "I/O threads (0: one per core)");
ABSL_FLAG(int, max_name_chars, static_cast<int>(kDefaults.max_name_chars),
          "Longest peer or room name, in Unicode characters");
ABSL_FLAG(int, max_frame_bytes, static_cast<int>(kDefaults.max_frame_bytes),
          "Largest WebSocket message accepted; larger closes with 1009");
ABSL_FLAG(int, max_json_depth, static_cast<int>(kDefaults.max_json_depth),
          "Deepest JSON nesting accepted in a message");
ABSL_FLAG(int, send_queue_max_frames, static_cast<int>(kDefaults.send_queue_max_frames),
          "Frames queued for one peer before it is closed with 1013");
ABSL_FLAG(int, send_queue_max_bytes, static_cast<int>(kDefaults.send_queue_max_bytes),
          "Bytes queued for one peer before it is closed with 1013");
ABSL_FLAG(int, bad_frame_burst, static_cast<int>(kDefaults.bad_frame_burst),
          "Bad frames a peer may send in a burst before it is closed with 1008");
ABSL_FLAG(absl::Duration, bad_frame_refill, kDefaults.bad_frame_refill,
          "After the burst, one more bad frame is allowed per this period");
ABSL_FLAG(absl::Duration, ping_interval, kDefaults.ping_interval,
          "WebSocket ping period; a peer silent for two periods is dropped");
ABSL_FLAG(absl::Duration, http_timeout, kDefaults.http_timeout,
          "Deadline for an HTTP request and for the WebSocket handshake");
ABSL_FLAG(absl::Duration, close_timeout, kDefaults.close_timeout,
          "How long a closing connection may take to flush and finish the close handshake");
ABSL_FLAG(std::string, path_prefix, "/peerjs", "PeerJS mount point: {prefix}/{key}/id, {prefix}/peerjs");
ABSL_FLAG(std::string, api_key, "peerjs", "PeerJS key the WebSocket must present");
ABSL_FLAG(bool, allow_discovery, false, "Serve the PeerJS peer list at {prefix}/{key}/peers");
ABSL_FLAG(absl::Duration, expire_timeout, kDefaults.peerjs_expire_timeout,
          "PeerJS: how long messages wait for an absent peer before the sender gets EXPIRE");
ABSL_FLAG(absl::Duration, alive_timeout, kDefaults.peerjs_alive_timeout,
          "PeerJS: a peer with no HEARTBEAT for this long is closed");
ABSL_FLAG(int, concurrent_limit, static_cast<int>(kDefaults.peerjs_concurrent_limit),
          "PeerJS: most peers connected with one key");
ABSL_FLAG(int, rate_limit_burst, static_cast<int>(kDefaults.rate_limit_burst),
          "Messages a WebSocket peer may send in a burst before its rate limit applies");
ABSL_FLAG(int, rate_limit_per_second, static_cast<int>(kDefaults.rate_limit_per_second),
          "Messages per second a WebSocket peer may send on average; faster is read no faster "
          "(0: no limit)");
ABSL_FLAG(absl::Duration, rate_limit_grace, kDefaults.rate_limit_grace,
          "A peer over its rate limit is read no faster than the limit; one over it for this long "
          "without a break is closed with 1008");
ABSL_FLAG(int, max_connections, static_cast<int>(kDefaults.max_connections),
          "WebSocket connections open at once; one more upgrade gets HTTP 503");
ABSL_FLAG(int, max_connections_per_ip, static_cast<int>(kDefaults.max_connections_per_ip),
          "WebSocket connections open at once from one client address (IPv6: one /64); one more "
          "upgrade gets HTTP 503 (0: no limit)");
ABSL_FLAG(std::vector<std::string>, allowed_origins, {},
          "WebSocket upgrades: comma-separated allowed Origins; another Origin gets HTTP 403 "
          "(empty: any; requests without Origin, from non-browser clients, always pass)");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain; with --tls_key, the listener speaks only TLS (https://, wss://)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert");
ABSL_FLAG(std::vector<std::string>, cors_origins, {},
          "PeerJS HTTP API: comma-separated allowed Origins (empty: reflect any)");
ABSL_FLAG(int, held_max_frames_per_target, static_cast<int>(kDefaults.held_max_frames_per_target),
          "PeerJS: most messages waiting for one absent peer");
ABSL_FLAG(int, held_max_bytes_per_target, static_cast<int>(kDefaults.held_max_bytes_per_target),
          "PeerJS: most bytes waiting for one absent peer");
ABSL_FLAG(int, held_max_frames_per_sender, static_cast<int>(kDefaults.held_max_frames_per_sender),
          "PeerJS: most messages one peer may have waiting for absent peers");
ABSL_FLAG(int, held_max_bytes_per_sender, static_cast<int>(kDefaults.held_max_bytes_per_sender),
          "PeerJS: most bytes one peer may have waiting for absent peers");
ABSL_FLAG(int, held_max_frames, static_cast<int>(kDefaults.held_max_frames),
          "PeerJS: most messages waiting for absent peers on the whole server");
ABSL_FLAG(std::int64_t, held_max_bytes, static_cast<std::int64_t>(kDefaults.held_max_bytes),
          "PeerJS: most bytes waiting for absent peers on the whole server");
ABSL_FLAG(std::string, admin_addr, "127.0.0.1:50051",
          "gRPC admin listener host:port (empty: no admin API). Keep it off public interfaces");
ABSL_FLAG(std::string, admin_token, "",
          "When set, admin calls need the metadata 'authorization: Bearer <token>'");
ABSL_FLAG(absl::Duration, drain_grace, absl::Seconds(30),
          "How long a Drain without a grace period leaves peers connected before 1012");
ABSL_FLAG(absl::Duration, shutdown_grace, kDefaults.shutdown_grace,
          "On SIGTERM/SIGINT, how long to wait for connections to close before exiting");

ABSL_FLAG(std::string, redis_addr, "",
          "Redis of the cluster this node joins, IP:port or a unix socket path (empty: a node "
          "alone, no Redis)");
ABSL_FLAG(std::string, redis_password, "", "Password for Redis's AUTH, when it asks for one");
ABSL_FLAG(absl::Duration, bus_lease, absl::Seconds(10),
          "The node's lease in Redis: a node killed frees its names within it; a node cut off "
          "from Redis stops serving before it runs out");

ABSL_FLAG(std::string, jwt_keys_file, "",
          "Keys that sign login tokens, lines of `kid alg key` (HS256 with a secret of at least "
          "32 bytes, RS256/ES256 with a PEM public key file); set, every login needs a token. "
          "Reloaded on SIGHUP");
ABSL_FLAG(std::string, jwt_audience, "", "When set, a token's aud must name it");
ABSL_FLAG(absl::Duration, jwt_leeway, absl::Seconds(30),
          "Clock skew allowed when checking a token's exp and nbf");
ABSL_FLAG(int, jwt_max_bytes, 2048, "Longest token accepted");
ABSL_FLAG(std::string, turn_secret, "",
          "coturn's static-auth-secret: with turn_uris, td's login_success carries TURN "
          "credentials and GET /turn-credentials hands them out");
ABSL_FLAG(std::string, turn_secret_file, "",
          "A file holding the TURN secret instead (first line), read again on SIGHUP");
ABSL_FLAG(std::string, turn_uris, "",
          "Comma-separated turn: / turns: URIs of the TURN servers the credentials are for");
ABSL_FLAG(absl::Duration, turn_ttl, absl::Hours(1),
          "How long a TURN credential is valid, 1m to 24h");
ABSL_FLAG(int, auth_failure_burst, static_cast<int>(kDefaults.auth_failure_burst),
          "Auth on: bad tokens one client address may present at once; past them, one per "
          "auth_failure_refill, and its logins are closed with 1008 unchecked");
ABSL_FLAG(absl::Duration, auth_failure_refill, kDefaults.auth_failure_refill,
          "How often an address over auth_failure_burst may present one more token");
ABSL_FLAG(bool, turn_public, false,
          "Serve GET /turn-credentials to anyone while auth is off (otherwise 404)");
ABSL_FLAG(std::string, log_format, "text",
          "text (\"<time> I message key=value\") or json (one object per line: ts, level, msg and "
          "the fields)");
ABSL_FLAG(std::string, log_level, "info",
          "debug, info, warn or error. info: start, listeners, drains, shutdown, admin calls, "
          "refusal episodes; debug adds a line per connection opened, login and close");
ABSL_FLAG(bool, probe, false,
          "Instead of serving: GET /health from the sigd this configuration describes (HOST, "
          "PORT, TLS) and exit 0 when it answers 200, else 1; for container health checks");
ABSL_FLAG(bool, check_config, false,
          "Check the configuration, print every setting as name=value (secrets redacted) and "
          "exit: 0 when it is valid, 2 when not");

namespace {

// --help's groups, in order; a flag missing here is listed under "Other".
std::vector<sig::sigd::FlagGroup> HelpGroups() {
  return {
      {"Listener", {"host", "port", "metrics_addr", "trusted_proxies", "proxy_protocol", "threads", "max_connections", "max_connections_per_ip",
                    "allowed_origins", "http_timeout", "close_timeout", "shutdown_grace"}},
      {"Limits", {"max_name_chars", "max_frame_bytes", "max_json_depth", "send_queue_max_frames",
                  "send_queue_max_bytes", "bad_frame_burst", "bad_frame_refill", "ping_interval",
                  "rate_limit_burst", "rate_limit_per_second", "rate_limit_grace"}},
      {"PeerJS", {"path_prefix", "api_key", "allow_discovery", "cors_origins", "expire_timeout",
                  "alive_timeout", "concurrent_limit", "held_max_frames_per_target",
                  "held_max_bytes_per_target", "held_max_frames_per_sender",
                  "held_max_bytes_per_sender", "held_max_frames", "held_max_bytes"}},
      {"TLS", {"tls_cert", "tls_key"}},
      {"Login tokens and TURN",
       {"jwt_keys_file", "jwt_audience", "jwt_leeway", "jwt_max_bytes", "auth_failure_burst",
        "auth_failure_refill", "turn_secret", "turn_secret_file", "turn_uris", "turn_ttl",
        "turn_public"}},
      {"Admin", {"admin_addr", "admin_token", "drain_grace", "check_config", "probe"}},
      {"Cluster", {"redis_addr", "redis_password", "bus_lease"}},
      {"Logging", {"log_format", "log_level"}},
  };
}

// The keys file read again and swapped in whole (SIGHUP, the ReloadKeys RPC); a file that does
// not load leaves the keys as they were. Returns the key ids now in use.
absl::StatusOr<std::vector<std::string>> ReloadKeys(sig::auth::JwtVerifier& verifier,
                                                    const std::string& file, std::string_view why) {
  absl::StatusOr<std::shared_ptr<const sig::auth::KeySet>> keys = sig::auth::KeySet::Load(file);
  if (keys.ok() && (*keys)->size() == 0) keys = absl::InvalidArgumentError(file + " lists no key");
  if (!keys.ok()) {
    sig::core::LogError(why, ": keys not reloaded, kept as they were: ",
                        std::string(keys.status().message()));
    return absl::InvalidArgumentError(keys.status().message());
  }
  std::vector<std::string> kids = (*keys)->kids();
  sig::core::LogInfo(why, ": keys ", absl::StrJoin(kids, ","), " from ", file);
  verifier.Replace(*std::move(keys));
  return kids;
}

// The first line of `path`: a secret kept out of the environment and of `ps`.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": the first line is empty"));
  return line;
}

// SIGHUP: the TURN secret file read again (rotation: coturn takes the new secret beside the old
// one first); a file that does not read keeps the secret as it was.
void ReloadTurnSecret(sig::auth::TurnIssuer* turn, const std::string& file) {
  if (turn == nullptr || file.empty()) return;
  absl::StatusOr<std::string> secret = ReadSecretFile(file);
  if (!secret.ok()) {
    sig::core::LogError("SIGHUP: TURN secret not reloaded, kept as it was: ",
                        std::string(secret.status().message()));
    return;
  }
  turn->ReplaceSecret(*std::move(secret));
  sig::core::LogInfo("SIGHUP: TURN secret reloaded from ", file);
}

// A value that must be above zero; otherwise says so (exit status 2 follows).
template <typename T>
bool Positive(const sig::sigd::CommandLine& command_line, const char* name, T value) {
  if (value > T{}) return true;
  command_line.Invalid(name, "must be positive");
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  sig::sigd::CommandLine command_line("check_config", HelpGroups());
  if (const std::optional<int> exit = command_line.Parse(argc, argv, kVersion)) return *exit;
  const auto positive = [&command_line](const char* name, auto value) {
    return Positive(command_line, name, value);
  };
  // Logging first: everything after may log.
  const absl::StatusOr<sig::logging::Format> log_format =
      sig::logging::ParseFormat(absl::GetFlag(FLAGS_log_format));
  if (!log_format.ok()) {
    return command_line.Invalid("log_format", std::string(log_format.status().message()));
  }
  const absl::StatusOr<sig::core::LogLevel> log_level =
      sig::logging::ParseLevel(absl::GetFlag(FLAGS_log_level));
  if (!log_level.ok()) {
    return command_line.Invalid("log_level", std::string(log_level.status().message()));
  }
  sig::logging::Install(*log_format, *log_level);

  sig::core::Limits limits;
  const int port = absl::GetFlag(FLAGS_port);
  const int threads = absl::GetFlag(FLAGS_threads);
  const int max_name = absl::GetFlag(FLAGS_max_name_chars);
  const int max_frame = absl::GetFlag(FLAGS_max_frame_bytes);
  const int max_depth = absl::GetFlag(FLAGS_max_json_depth);
  const int queue_frames = absl::GetFlag(FLAGS_send_queue_max_frames);
  const int queue_bytes = absl::GetFlag(FLAGS_send_queue_max_bytes);
  const int bad_burst = absl::GetFlag(FLAGS_bad_frame_burst);
  const int concurrent = absl::GetFlag(FLAGS_concurrent_limit);
  const int held_target = absl::GetFlag(FLAGS_held_max_frames_per_target);
  const int held_bytes = absl::GetFlag(FLAGS_held_max_bytes_per_target);
  const int held_sender = absl::GetFlag(FLAGS_held_max_frames_per_sender);
  const int held_sender_bytes = absl::GetFlag(FLAGS_held_max_bytes_per_sender);
  const std::int64_t held_total = absl::GetFlag(FLAGS_held_max_bytes);
  const int held_total_frames = absl::GetFlag(FLAGS_held_max_frames);
  const int rate_burst = absl::GetFlag(FLAGS_rate_limit_burst);
  const int rate_per_second = absl::GetFlag(FLAGS_rate_limit_per_second);
  const int max_connections = absl::GetFlag(FLAGS_max_connections);
  if (port < 0 || port > 65535) return command_line.Invalid("port", "a port is 0 to 65535");
  if (threads < 0) return command_line.Invalid("threads", "must not be negative (0: one per core)");
  if (!positive("max_name_chars", max_name) ||
      !positive("max_frame_bytes", max_frame) || !positive("max_json_depth", max_depth) ||
      !positive("send_queue_max_frames", queue_frames) ||
      !positive("send_queue_max_bytes", queue_bytes) || !positive("bad_frame_burst", bad_burst) ||
      !positive("ping_interval", absl::GetFlag(FLAGS_ping_interval)) ||
      !positive("drain_grace", absl::GetFlag(FLAGS_drain_grace)) ||
      !positive("http_timeout", absl::GetFlag(FLAGS_http_timeout)) ||
      !positive("close_timeout", absl::GetFlag(FLAGS_close_timeout)) ||
      !positive("concurrent_limit", concurrent) ||
      !positive("held_max_frames_per_target", held_target) ||
      !positive("held_max_bytes_per_target", held_bytes) ||
      !positive("held_max_frames_per_sender", held_sender) ||
      !positive("held_max_bytes_per_sender", held_sender_bytes) ||
      !positive("held_max_bytes", held_total) ||
      !positive("held_max_frames", held_total_frames) ||
      !positive("rate_limit_burst", rate_burst) || !positive("max_connections", max_connections) ||

      !positive("expire_timeout", absl::GetFlag(FLAGS_expire_timeout)) ||
      !positive("alive_timeout", absl::GetFlag(FLAGS_alive_timeout)) ||
      !positive("rate_limit_grace", absl::GetFlag(FLAGS_rate_limit_grace)) ||
      !positive("bus_lease", absl::GetFlag(FLAGS_bus_lease)) ||
      !positive("auth_failure_burst", absl::GetFlag(FLAGS_auth_failure_burst)) ||
      !positive("auth_failure_refill", absl::GetFlag(FLAGS_auth_failure_refill))) {
    return 2;
  }
  if (!sig::edge::HostPort::Parse(sig::edge::JoinHostPort(absl::GetFlag(FLAGS_host), 0)).ok()) {
    return command_line.Invalid("host", "the host must be an IP address, e.g. :: or 127.0.0.1");
  }
  absl::StatusOr<sig::edge::TrustedProxies> trusted_proxies =
      sig::edge::TrustedProxies::Parse(absl::GetFlag(FLAGS_trusted_proxies));
  if (!trusted_proxies.ok()) {
    return command_line.Invalid("trusted_proxies", std::string(trusted_proxies.status().message()));
  }
  if (absl::GetFlag(FLAGS_proxy_protocol) && trusted_proxies->empty()) {
    return command_line.Invalid("proxy_protocol", "needs trusted_proxies, the proxies that send it");
  }
  std::optional<sig::edge::HostPort> metrics_listener;
  if (const std::string metrics = absl::GetFlag(FLAGS_metrics_addr); !metrics.empty()) {
    absl::StatusOr<sig::edge::HostPort> parsed = sig::edge::HostPort::Parse(metrics);
    if (!parsed.ok()) {
      return command_line.Invalid("metrics_addr", std::string(parsed.status().message()));
    }
    metrics_listener = *std::move(parsed);
  }
  std::optional<sig::bus::Cluster::Options> cluster_options;
  if (const std::string redis = absl::GetFlag(FLAGS_redis_addr); !redis.empty()) {
    absl::StatusOr<sig::bus::RedisAddress> address = sig::bus::RedisAddress::Parse(redis);
    if (!address.ok()) return command_line.Invalid("redis_addr", std::string(address.status().message()));
    cluster_options.emplace();
    cluster_options->address = *std::move(address);
    cluster_options->password = absl::GetFlag(FLAGS_redis_password);
    cluster_options->lease = absl::GetFlag(FLAGS_bus_lease);
  }
  if (absl::GetFlag(FLAGS_tls_cert).empty() != absl::GetFlag(FLAGS_tls_key).empty()) {
    std::fprintf(stderr, "sigd: --tls_cert and --tls_key go together\n");
    return 2;
  }
  const int max_per_ip = absl::GetFlag(FLAGS_max_connections_per_ip);
  if (max_per_ip < 0) {
    return command_line.Invalid("max_connections_per_ip", "must not be negative (0: no limit)");
  }
  if (rate_per_second < 0) {
    return command_line.Invalid("rate_limit_per_second", "must not be negative (0: no limit)");
  }
  limits.max_name_chars = static_cast<std::size_t>(max_name);
  limits.max_frame_bytes = static_cast<std::size_t>(max_frame);
  limits.max_json_depth = static_cast<std::size_t>(max_depth);
  limits.send_queue_max_frames = static_cast<std::size_t>(queue_frames);
  limits.send_queue_max_bytes = static_cast<std::size_t>(queue_bytes);
  limits.bad_frame_burst = static_cast<std::uint32_t>(bad_burst);
  limits.bad_frame_refill = absl::GetFlag(FLAGS_bad_frame_refill);
  limits.ping_interval = absl::GetFlag(FLAGS_ping_interval);
  limits.http_timeout = absl::GetFlag(FLAGS_http_timeout);
  limits.close_timeout = absl::GetFlag(FLAGS_close_timeout);
  limits.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  limits.peerjs_expire_timeout = absl::GetFlag(FLAGS_expire_timeout);
  limits.peerjs_alive_timeout = absl::GetFlag(FLAGS_alive_timeout);
  limits.peerjs_concurrent_limit = static_cast<std::size_t>(concurrent);
  limits.held_max_frames_per_target = static_cast<std::size_t>(held_target);
  limits.held_max_bytes_per_target = static_cast<std::size_t>(held_bytes);
  limits.held_max_frames_per_sender = static_cast<std::size_t>(held_sender);
  limits.held_max_bytes_per_sender = static_cast<std::size_t>(held_sender_bytes);
  limits.held_max_bytes = static_cast<std::size_t>(held_total);
  limits.held_max_frames = static_cast<std::size_t>(held_total_frames);
  limits.rate_limit_burst = static_cast<std::uint32_t>(rate_burst);
  limits.rate_limit_per_second = static_cast<std::uint32_t>(rate_per_second);
  limits.rate_limit_grace = absl::GetFlag(FLAGS_rate_limit_grace);
  limits.max_connections = static_cast<std::size_t>(max_connections);
  limits.max_connections_per_ip = static_cast<std::size_t>(max_per_ip);
  limits.auth_failure_burst = static_cast<std::uint32_t>(absl::GetFlag(FLAGS_auth_failure_burst));
  limits.auth_failure_refill = absl::GetFlag(FLAGS_auth_failure_refill);

  // Auth: on when a keys file is given; a file that does not load is a startup error.
  std::unique_ptr<sig::auth::JwtVerifier> verifier;
  const std::string keys_file = absl::GetFlag(FLAGS_jwt_keys_file);
  if (!keys_file.empty()) {
    absl::StatusOr<std::shared_ptr<const sig::auth::KeySet>> keys = sig::auth::KeySet::Load(keys_file);
    if (!keys.ok()) return command_line.Invalid("jwt_keys_file", std::string(keys.status().message()));
    if ((*keys)->size() == 0) return command_line.Invalid("jwt_keys_file", "the file lists no key");
    const int max_bytes = absl::GetFlag(FLAGS_jwt_max_bytes);
    if (!positive("jwt_max_bytes", max_bytes)) return 2;
    if (absl::GetFlag(FLAGS_jwt_leeway) < absl::ZeroDuration()) {
      return command_line.Invalid("jwt_leeway", "must not be negative");
    }
    sig::auth::JwtOptions jwt;
    jwt.audience = absl::GetFlag(FLAGS_jwt_audience);
    jwt.leeway = absl::GetFlag(FLAGS_jwt_leeway);
    jwt.max_bytes = static_cast<std::size_t>(max_bytes);
    verifier = std::make_unique<sig::auth::JwtVerifier>(jwt, *std::move(keys));
  }

  // TURN: on with a secret and URIs.
  std::unique_ptr<sig::auth::TurnIssuer> turn;
  const std::string turn_secret_file = absl::GetFlag(FLAGS_turn_secret_file);
  {
    std::string secret = absl::GetFlag(FLAGS_turn_secret);
    if (!secret.empty() && !turn_secret_file.empty()) {
      std::fprintf(stderr, "sigd: --turn_secret and --turn_secret_file exclude each other\n");
      return 2;
    }
    if (!turn_secret_file.empty()) {
      absl::StatusOr<std::string> read = ReadSecretFile(turn_secret_file);
      if (!read.ok()) return command_line.Invalid("turn_secret_file", std::string(read.status().message()));
      secret = *std::move(read);
    }
    const std::string uris = absl::GetFlag(FLAGS_turn_uris);
    if (secret.empty() != uris.empty()) {
      std::fprintf(stderr, "sigd: a TURN secret and --turn_uris go together\n");
      return 2;
    }
    const absl::Duration ttl = absl::GetFlag(FLAGS_turn_ttl);
    if (ttl < absl::Minutes(1) || ttl > absl::Hours(24)) {
      return command_line.Invalid("turn_ttl", "must be between 1m and 24h");
    }
    if (!secret.empty()) {
      sig::auth::TurnIssuer::Options turn_options;
      std::string error;
      if (!sig::auth::ParseTurnUris(uris, &turn_options.uris, &error)) {
        return command_line.Invalid("turn_uris", error);
      }
      turn_options.secret = std::move(secret);
      turn_options.ttl = ttl;
      turn = std::make_unique<sig::auth::TurnIssuer>(std::move(turn_options));
    }
  }

  if (absl::GetFlag(FLAGS_check_config)) {
    for (const std::string& line : command_line.Settings(/*only_changed=*/false)) {
      std::printf("%s\n", line.c_str());
    }
    return 0;
  }
  if (absl::GetFlag(FLAGS_probe)) {
    return sig::sigd::Probe(absl::GetFlag(FLAGS_host), static_cast<std::uint16_t>(port),
                            !absl::GetFlag(FLAGS_tls_cert).empty(), absl::Seconds(3));
  }
  sig::core::Log(sig::core::LogLevel::kInfo, "sigd starting",
                 {{"version", SIGD_VERSION},
                  {"commit", SIGD_COMMIT},
                  {"settings", absl::StrJoin(command_line.Settings(/*only_changed=*/true), " ")}});

  // SIGINT and SIGTERM stop sigd, SIGHUP reloads what can be reloaded (the token keys, the TURN
  // secret file). They are blocked here, before any thread starts, so every thread (the I/O
  // threads, gRPC's, the cluster's) inherits them blocked and main takes them synchronously
  // with sigwait at the end; one that arrives while sigd starts up waits until then instead of
  // killing the process. (An Asio signal_set, as before, depends on an asynchronous handler
  // waking a thread blocked in epoll; under TSan, which defers signals, a SIGTERM was now and
  // then never handled and sigd did not stop.)
  sigset_t handled;
  sigemptyset(&handled);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&handled, s);
  pthread_sigmask(SIG_BLOCK, &handled, nullptr);

  sig::core::SystemClock clock;
  sig::edge::Server::Options options;
  options.host = absl::GetFlag(FLAGS_host);
  options.metrics = metrics_listener;
  options.trusted_proxies = *std::move(trusted_proxies);
  options.proxy_protocol = absl::GetFlag(FLAGS_proxy_protocol);
  options.port = static_cast<std::uint16_t>(port);
  options.threads = static_cast<unsigned>(threads);
  options.peerjs.path_prefix =
      sig::edge::PeerJsOptions::NormalizePrefix(absl::GetFlag(FLAGS_path_prefix));
  options.peerjs.key = absl::GetFlag(FLAGS_api_key);
  options.peerjs.allow_discovery = absl::GetFlag(FLAGS_allow_discovery);
  options.peerjs.cors_origins = absl::GetFlag(FLAGS_cors_origins);
  options.allowed_origins = absl::GetFlag(FLAGS_allowed_origins);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.verifier = verifier.get();
  options.turn = turn.get();
  options.turn_public = absl::GetFlag(FLAGS_turn_public);
  if (verifier) {
    sig::core::LogInfo("auth on: keys ", absl::StrJoin(verifier->keys()->kids(), ","), " from ",
                       keys_file);
  }
  // With Redis, this process is a node of a cluster: names are claimed in Redis and frames for
  // peers on other nodes go through it. Stopped (below) before the Node goes.
  std::optional<sig::bus::Cluster> cluster;
  if (cluster_options) cluster.emplace(*cluster_options);
  // The core is main's: the edge serves peers with it and the admin plane reports on it.
  sig::core::Node node(limits, clock, cluster ? cluster->TakeDirectory() : nullptr,
                       cluster ? cluster->TakeBus() : nullptr);
  if (cluster) {
    cluster->Start();
    sig::core::LogInfo("cluster node ", cluster->node(), " on Redis ", absl::GetFlag(FLAGS_redis_addr));
  }
  sig::edge::Server server(options, node);
  if (absl::Status s = server.Start(); !s.ok()) {
    sig::core::LogError("sigd: ", s.message());
    return 1;
  }
  // The first stdout line is the contract with supervisors and tests that start sigd on port 0.
  const std::string address = sig::edge::JoinHostPort(server.host(), server.port());
  std::printf("sigd listening on %s\n", address.c_str());
  std::fflush(stdout);
  sig::core::LogInfo("listening on ", address, server.state().tls != nullptr ? " (TLS)" : "");
  if (metrics_listener) {
    sig::core::LogInfo("metrics on ",
                       sig::edge::JoinHostPort(metrics_listener->host, server.metrics_port()),
                       " (the public port answers 404 for /metrics)");
  }

  sig::admin::AdminServer::Options admin_options;
  admin_options.address = absl::GetFlag(FLAGS_admin_addr);
  admin_options.service.token = absl::GetFlag(FLAGS_admin_token);
  admin_options.service.version = SIGD_VERSION;
  admin_options.service.default_drain_grace = absl::GetFlag(FLAGS_drain_grace);
  admin_options.service.address = address;
  if (verifier) {
    admin_options.service.reload_keys = [&verifier, &keys_file] {
      return ReloadKeys(*verifier, keys_file, "ReloadKeys");
    };
  }
  sig::admin::AdminServer admin(admin_options, node);
  if (!admin_options.address.empty()) {
    if (absl::Status s = admin.Start(); !s.ok()) {
      sig::core::LogError("sigd: ", s.message());
      return 1;
    }
    // Second stdout line: where the admin API listens (its port may have been 0).
    const std::string host =
        admin_options.address.substr(0, admin_options.address.rfind(':'));
    std::printf("sigd admin listening on %s:%d\n", host.c_str(), admin.port());
    std::fflush(stdout);
    sig::core::LogInfo("admin API on ", host, ":", admin.port(),
                       admin_options.service.token.empty() ? "" : " (token required)");
  }
  if (metrics_listener) {
    std::printf("sigd metrics listening on %s\n",
                sig::edge::JoinHostPort(metrics_listener->host, server.metrics_port()).c_str());
    std::fflush(stdout);
  }

  // Drains begin and end at an operator's word (Drain, Undrain): each is logged with what it
  // affects. Stopping is logged by the signal handler below.
  const std::size_t phase_log = node.lifecycle.AddListener(
      [&node](sig::core::Lifecycle::Phase phase, absl::Duration grace) {
        if (phase == sig::core::Lifecycle::Phase::kDraining) {
          sig::core::Log(sig::core::LogLevel::kInfo, "draining: refusing new peers",
                         {{"connections", node.connections.size()},
                          {"close_after", absl::FormatDuration(grace)}});
        } else if (phase == sig::core::Lifecycle::Phase::kServing) {
          sig::core::Log(sig::core::LogLevel::kInfo, "drain ended: serving again",
                         {{"connections", node.connections.size()}});
        }
      });
  for (;;) {
    int signal = 0;
    if (sigwait(&handled, &signal) != 0) continue;
    if (signal == SIGHUP) {
      if (verifier) (void)ReloadKeys(*verifier, keys_file, "SIGHUP");
      ReloadTurnSecret(turn.get(), turn_secret_file);
      continue;
    }
    sig::core::Log(sig::core::LogLevel::kInfo, "shutting down: closing every connection with 1001",
                   {{"signal", signal}, {"connections", node.connections.size()}});
    server.Shutdown();
    admin.Shutdown(absl::Seconds(1));
    break;
  }
  if (cluster) cluster->Stop();
  node.lifecycle.RemoveListener(phase_log);
  sig::core::LogInfo("sigd stopped");
  return 0;
}
