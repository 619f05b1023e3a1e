#include "edge/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "core/stats.h"

namespace sig::edge {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

void Add(MetricFamily& family, Labels labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (family.type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

// A family with one unlabelled sample.
void AddSingle(std::vector<MetricFamily>& out, std::string name, std::string help, MetricType type,
               double value) {
  MetricFamily family = Family(std::move(name), std::move(help), type);
  Add(family, {}, value);
  out.push_back(std::move(family));
}

ClientMetric::Label L(std::string_view name, std::string_view value) {
  return {std::string(name), std::string(value)};
}

// The same label values for every protocol.
auto Every(std::span<const std::string_view> names) {
  return [names](std::size_t) { return names; };
}

// Every combination occurs.
constexpr auto kAlways = [](std::size_t, std::size_t) { return true; };

// Whether protocol `p` can refuse a login for rejection `r`: the rest are the other protocol's
// (td names and rooms, PeerJS ids and keys). Upgrade refusals happen to both.
bool RejectionOccurs(std::size_t p, std::size_t r) {
  using R = core::LoginRejection;
  switch (static_cast<R>(r)) {
    case R::kInvalidName:
    case R::kInvalidRoom:
    case R::kNameTaken:
      return core::kProtocols[p] == sig::v1::PROTOCOL_TD;
    case R::kMissingParams:
    case R::kInvalidKey:
    case R::kInvalidId:
    case R::kIdTaken:
    case R::kConcurrentLimit:
      return core::kProtocols[p] == sig::v1::PROTOCOL_PEERJS;
    default:
      return true;
  }
}

// Whether protocol `p` can refuse a frame for `b`: PeerJS has no login message and no targets
// to check (a message for an absent peer is held, not refused).
bool BadFrameOccurs(std::size_t p, std::size_t b) {
  using B = core::BadFrame;
  if (core::kProtocols[p] == sig::v1::PROTOCOL_TD) return true;
  const auto bad = static_cast<B>(b);
  return bad == B::kInvalidJson || bad == B::kInvalidMessage || bad == B::kMissingType;
}

// One family with a protocol label and a second label from `names_of(protocol index)`. A
// combination that cannot occur (`occurs` false) is left out while its count is zero, so the
// exposition holds no series that never moves, and a wrong `occurs` loses no count.
template <typename NamesOf, typename Get, typename Occurs = decltype(kAlways)>
MetricFamily ByProtocolAnd(std::string name, std::string help, std::string_view label,
                           NamesOf names_of, Get get, Occurs occurs = kAlways) {
  MetricFamily family = Family(std::move(name), std::move(help), MetricType::Counter);
  for (std::size_t p = 0; p < core::kProtocolNames.size(); ++p) {
    const std::span<const std::string_view> names = names_of(p);
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::uint64_t value = get(p, i);
      if (value == 0 && !occurs(p, i)) continue;
      Add(family, {L("protocol", core::kProtocolNames[p]), L(label, names[i])},
          static_cast<double>(value));
    }
  }
  return family;
}

// A histogram from non-cumulative bucket counts; bucket(bounds.size()) is the +Inf bucket.
template <typename Get>
MetricFamily Histogram(std::string name, std::string help, std::span<const double> bounds,
                       Get bucket, double sum) {
  MetricFamily family = Family(std::move(name), std::move(help), MetricType::Histogram);
  ClientMetric metric;
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b <= bounds.size(); ++b) {
    cumulative += bucket(b);
    ClientMetric::Bucket out;
    out.cumulative_count = cumulative;
    out.upper_bound = b < bounds.size() ? bounds[b] : std::numeric_limits<double>::infinity();
    metric.histogram.bucket.push_back(out);
  }
  metric.histogram.sample_count = cumulative;
  metric.histogram.sample_sum = sum;
  family.metric.push_back(std::move(metric));
  return family;
}

// The boot time, from /proc/stat's btime: process start times are counted from it.
std::optional<double> BootTimeSeconds() {
  std::ifstream stat("/proc/stat");
  std::string key;
  double value = 0;
  while (stat >> key) {
    if (key == "btime" && stat >> value) return value;
    stat.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

// Process metrics as the Prometheus client libraries name them, read from /proc/self.
void AddProcessMetrics(std::vector<MetricFamily>& out) {
  std::ifstream stat_file("/proc/self/stat");
  const std::string stat((std::istreambuf_iterator<char>(stat_file)),
                         std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may contain spaces.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> f((std::istream_iterator<std::string>(fields)),
                             std::istream_iterator<std::string>());
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // f[11], f[12]: utime, stime (fields 14 and 15); f[20]: vsize; f[21]: rss in pages.
  // f[19]: starttime, in clock ticks after boot (field 22).
  if (f.size() > 21) {
    if (const std::optional<double> boot = BootTimeSeconds()) {
      AddSingle(out, "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                *boot + std::stod(f[19]) / ticks);
    }
    AddSingle(out, "process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
              MetricType::Counter, (std::stod(f[11]) + std::stod(f[12])) / ticks);
    AddSingle(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
              MetricType::Gauge, std::stod(f[21]) * page);
    AddSingle(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
              MetricType::Gauge, std::stod(f[20]));
  }
  double fds = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++fds;
    }
    closedir(dir);
    --fds;  // the directory handle itself
  }
  AddSingle(out, "process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    AddSingle(out, "process_max_fds", "Maximum number of open file descriptors.",
              MetricType::Gauge, static_cast<double>(limit.rlim_cur));
  }
}

// A cluster node's bus (cluster-design.md 6); a node alone has none of these series.
void AddBusMetrics(const core::Bus& bus, std::vector<MetricFamily>& families) {
  const core::Bus::Counters c = bus.counters();
  AddSingle(families, "sig_cluster_nodes",
            "Nodes listed in Redis, this one included (a dead node until its names are reaped).",
            MetricType::Gauge, static_cast<double>(c.nodes));
  AddSingle(families, "sig_bus_reconnects_total",
            "Times the link to Redis came back after going down.", MetricType::Counter,
            static_cast<double>(c.reconnects));
  MetricFamily frames = Family("sig_bus_frames_total",
                               "Frames handed to Redis for other nodes, and received from them.",
                               MetricType::Counter);
  Add(frames, {L("direction", "sent")}, static_cast<double>(c.sent));
  Add(frames, {L("direction", "received")}, static_cast<double>(c.received));
  families.push_back(std::move(frames));
  AddSingle(families, "sig_bus_unheard_total",
            "Frames sent to a node that no longer listened (it was gone); they are lost.",
            MetricType::Counter, static_cast<double>(c.unheard));
  MetricFamily dropped = Family(
      "sig_bus_dropped_total",
      "Frames for other nodes refused: the bus down or fenced, or its in-flight window full.",
      MetricType::Counter);
  Add(dropped, {L("reason", "down")}, static_cast<double>(c.dropped_down));
  Add(dropped, {L("reason", "full")}, static_cast<double>(c.dropped_full));
  families.push_back(std::move(dropped));
  AddSingle(families, "sig_bus_in_flight_frames",
            "Frames handed to Redis and not yet answered (bounded by the bus's in-flight window).",
            MetricType::Gauge,
            static_cast<double>(c.in_flight_frames));
  AddSingle(families, "sig_bus_in_flight_bytes",
            "Bytes of the frames handed to Redis and not yet answered (bounded by the window).",
            MetricType::Gauge, static_cast<double>(c.in_flight_bytes));
  AddSingle(families, "sig_bus_publish_failures_total",
            "Frames for other nodes that Redis refused, or that were lost with the link to it.",
            MetricType::Counter, static_cast<double>(c.publish_failures));
  families.push_back(Histogram(
      "sig_bus_round_trip_seconds",
      "From handing a frame for other nodes to Redis to Redis answering the PUBLISH.",
      core::Bus::kRoundTripBuckets, [&](std::size_t b) { return c.round_trips[b]; },
      c.round_trip_seconds));
  AddSingle(families, "sig_bus_lag_seconds",
            "How long this node's last probe took through Redis back to its own subscription "
            "(one a second), or how long the probe on its way has waited, if longer.",
            MetricType::Gauge, c.lag_seconds);
  AddSingle(families, "sig_bus_reaped_names_total",
            "Names this node freed from nodes whose lease had run out (each announced as a leave).",
            MetricType::Counter, static_cast<double>(c.reaped));
  AddSingle(families, "sig_bus_channels",
            "Redis channels this node subscribes to: its own, the cluster's, and one per room "
            "it has members in.",
            MetricType::Gauge, static_cast<double>(c.channels));
}

}  // namespace

std::string RenderMetrics(const EdgeContext& state) {
  const core::Stats& s = state.stats;
  const auto types = [&s](std::size_t p) { return s.frame_type_names(p); };
  std::vector<MetricFamily> families;

  MetricFamily build = Family("sig_build_info", "sigd build; the value is always 1.",
                              MetricType::Gauge);
  Add(build, {L("version", SIGD_VERSION)}, 1);
  families.push_back(std::move(build));

  AddSingle(families, "sig_connections", "Open WebSocket connections.", MetricType::Gauge,
            static_cast<double>(state.connections.size()));
  AddSingle(families, "sig_draining", "1 while the server drains or stops, else 0.",
            MetricType::Gauge, state.lifecycle.serving() ? 0 : 1);

  MetricFamily bus = Family(
      "sig_bus_state",
      "The cluster bus's state, one series per state, 1 for the current one (disabled: a node "
      "alone).",
      MetricType::Gauge);
  const core::Bus::State bus_state = state.node.bus->state();
  for (std::size_t i = 0; i < core::Bus::kStateNames.size(); ++i) {
    Add(bus, {L("state", core::Bus::kStateNames[i])},
        core::Bus::Name(bus_state) == core::Bus::kStateNames[i] ? 1 : 0);
  }
  families.push_back(std::move(bus));
  if (bus_state != core::Bus::State::kDisabled) AddBusMetrics(*state.node.bus, families);

  MetricFamily peers = Family("sig_peers", "Registered peers (logged-in td, opened PeerJS).",
                              MetricType::Gauge);
  for (std::size_t p = 0; p < core::kProtocolNames.size(); ++p) {
    Add(peers, {L("protocol", core::kProtocolNames[p])}, static_cast<double>(s.peers(p)));
  }
  families.push_back(std::move(peers));

  AddSingle(families, "sig_held_frames", "PeerJS frames held for peers not yet connected.",
            MetricType::Gauge, static_cast<double>(state.node.holds.held_frames()));
  AddSingle(families, "sig_held_bytes",
            "Bytes of the PeerJS frames held for peers not yet connected (bound: held_max_bytes).",
            MetricType::Gauge, static_cast<double>(state.node.holds.held_bytes()));

  MetricFamily logins = Family("sig_logins_total", "Successful td logins and PeerJS opens.",
                               MetricType::Counter);
  for (std::size_t p = 0; p < core::kProtocolNames.size(); ++p) {
    Add(logins, {L("protocol", core::kProtocolNames[p])}, static_cast<double>(s.logins(p)));
  }
  families.push_back(std::move(logins));

  families.push_back(ByProtocolAnd(
      "sig_login_rejections_total", "Logins and PeerJS handshakes refused, by reason.", "reason",
      Every(core::Stats::kRejections),
      [&](std::size_t p, std::size_t i) { return s.rejections(p, i); }, RejectionOccurs));
  families.push_back(ByProtocolAnd(
      "sig_auth_failures_total",
      "Logins refused for their access token (auth on), by reason; kNone is never counted.",
      "reason", Every(std::span<const std::string_view>(core::Stats::kTokenFailures).subspan(1)),
      [&](std::size_t p, std::size_t i) { return s.auth_failures(p, i + 1); }));
  families.push_back(ByProtocolAnd(
      "sig_frames_received_total", "WebSocket messages read from peers, by message type.",
      "type", types, [&](std::size_t p, std::size_t i) { return s.frames_in(p, i); }));
  families.push_back(ByProtocolAnd(
      "sig_frames_sent_total", "WebSocket messages written to peers, by message type.", "type",
      types, [&](std::size_t p, std::size_t i) { return s.frames_out(p, i); }));
  families.push_back(ByProtocolAnd(
      "sig_bad_frames_total", "Messages rejected as malformed or out of place, by reason.",
      "reason", Every(core::Stats::kBadFrames),
      [&](std::size_t p, std::size_t i) { return s.bad_frames(p, i); }, BadFrameOccurs));

  MetricFamily relay_failures = Family("sig_relay_failures_total",
                                       "Messages that could not be delivered, by reason.",
                                       MetricType::Counter);
  for (std::size_t r = 0; r < core::Stats::kRelayFailures.size(); ++r) {
    Add(relay_failures, {L("reason", core::Stats::kRelayFailures[r])},
        static_cast<double>(s.relay_failures(r)));
  }
  families.push_back(std::move(relay_failures));

  MetricFamily closes = Family("sig_closes_total",
                               "WebSocket connections the server closed, by close code.",
                               MetricType::Counter);
  for (std::size_t c = 0; c <= core::Stats::kCloseCodes.size(); ++c) {
    const std::string code = c < core::Stats::kCloseCodes.size()
                                 ? std::to_string(core::Stats::kCloseCodes[c])
                                 : std::string("other");
    Add(closes, {L("code", code)}, static_cast<double>(s.closes(c)));
  }
  families.push_back(std::move(closes));

  families.push_back(ByProtocolAnd(
      "sig_disconnects_total",
      "WebSocket connections ended, by protocol and the first cause (client_close: the client "
      "closed; connection_lost: the socket ended without a close handshake).",
      "reason", Every(core::Stats::kDisconnectReasons),
      [&](std::size_t p, std::size_t r) { return s.disconnects(p, r); },
      [](std::size_t p, std::size_t r) {  // only PeerJS has a HEARTBEAT to miss
        return static_cast<core::DisconnectReason>(r) != core::DisconnectReason::kAliveTimeout ||
               core::kProtocols[p] == sig::v1::PROTOCOL_PEERJS;
      }));
  AddSingle(families, "sig_rooms",
            "Rooms (td rooms and PeerJS keys) with members connected to this node.",
            MetricType::Gauge, static_cast<double>(state.node.directory->realm_count()));
  if (state.tls != nullptr) {
    AddSingle(families, "sig_tls_handshake_failures_total",
              "TLS handshakes that failed or ran past http_timeout (plain HTTP sent to the TLS "
              "port, an untrusted certificate, scanners).",
              MetricType::Counter, static_cast<double>(s.tls_handshake_failures()));
  }
  if (state.proxy_protocol) {
    AddSingle(families, "sig_proxy_protocol_errors_total",
              "Connections from a trusted proxy closed for a missing or malformed PROXY "
              "protocol v2 header.",
              MetricType::Counter, static_cast<double>(s.proxy_header_failures()));
  }
  AddSingle(families, "sig_send_queue_overflows_total", "Peers closed as slow consumers (1013).",
            MetricType::Counter, static_cast<double>(s.queue_overflows()));
  if (state.auth_on()) {
    // Only for endpoints that ask for a token here: TURN configured, PeerJS discovery allowed.
    MetricFamily http_auth = Family(
        "sig_http_auth_failures_total",
        "HTTP requests refused for their access token (auth on), by endpoint and reason; "
        "auth_blocked: refused unchecked, the address having failed too often.",
        MetricType::Counter);
    const std::array<bool, core::Stats::kHttpAuthEndpoints.size()> asks = {
        state.turn != nullptr, state.peerjs.allow_discovery};
    for (std::size_t e = 0; e < asks.size(); ++e) {
      if (!asks[e]) continue;
      const auto endpoint = L("endpoint", core::Stats::kHttpAuthEndpoints[e]);
      for (std::size_t f = 0; f < core::Stats::kTokenFailures.size(); ++f) {
        // A TURN credential is for any valid token: nothing to mismatch.
        if (e == static_cast<std::size_t>(core::Stats::HttpAuthEndpoint::kTurnCredentials) &&
            f == core::OutcomeIndex(core::TokenFailure::kMismatch)) {
          continue;
        }
        const std::string_view reason =
            f == core::Stats::kHttpAuthBlocked ? "auth_blocked" : core::Stats::kTokenFailures[f];
        Add(http_auth, {endpoint, L("reason", reason)},
            static_cast<double>(s.http_auth_failures(e, f)));
      }
    }
    families.push_back(std::move(http_auth));
  }
  if (state.turn != nullptr) {
    MetricFamily turn = Family("sig_turn_credentials_issued_total",
                               "TURN credentials handed out, in td's login_success or by "
                               "GET /turn-credentials.",
                               MetricType::Counter);
    for (std::size_t v = 0; v < core::Stats::kTurnVias.size(); ++v) {
      Add(turn, {L("via", core::Stats::kTurnVias[v])}, static_cast<double>(s.turn_issued(v)));
    }
    families.push_back(std::move(turn));
  }
  AddSingle(families, "sig_rate_limited_total",
            "Peers closed with 1008 for staying over their rate limit for rate_limit_grace.",
            MetricType::Counter, static_cast<double>(s.rate_limited()));
  AddSingle(families, "sig_rate_limit_waits_total",
            "Messages that waited for their peer's rate limit, sigd not reading that peer meanwhile.",
            MetricType::Counter, static_cast<double>(s.rate_limit_waits()));
  AddSingle(families, "sig_accept_failures_total",
            "Connections the listener failed to accept (out of descriptors: it pauses 100 ms).",
            MetricType::Counter, static_cast<double>(s.accept_failures()));
  AddSingle(families, "sig_http_timeouts_total",
            "HTTP requests and WebSocket handshakes cut off at http_timeout.",
            MetricType::Counter, static_cast<double>(s.http_timeouts()));
  AddSingle(families, "sig_received_bytes_total", "Payload bytes of WebSocket messages read.",
            MetricType::Counter, static_cast<double>(s.bytes_in()));
  AddSingle(families, "sig_sent_bytes_total", "Payload bytes of WebSocket messages written.",
            MetricType::Counter, static_cast<double>(s.bytes_out()));

  families.push_back(Histogram(
      "sig_message_size_bytes", "Size of WebSocket messages read.", core::Stats::kSizeBuckets,
      [&](std::size_t b) { return s.size_bucket(b); }, static_cast<double>(s.bytes_in())));
  families.push_back(Histogram(
      "sig_relay_latency_seconds",
      "Time from reading a relayed message off its sender's socket to writing it to a recipient.",
      core::Stats::kLatencyBuckets, [&](std::size_t b) { return s.latency_bucket(b); },
      s.latency_sum_seconds()));

  // Every method's OK series exists from the start; other codes appear once they occur.
  MetricFamily admin = Family("sig_admin_requests_total",
                              "Admin gRPC calls, by method and status code.", MetricType::Counter);
  for (std::size_t m = 0; m < core::Stats::kAdminMethods.size(); ++m) {
    for (std::size_t c = 0; c < core::Stats::kGrpcCodes; ++c) {
      const std::uint64_t n = s.admin_calls(m, c);
      if (n == 0 && c != 0) continue;
      Add(admin, {L("method", core::Stats::kAdminMethods[m]), L("code", core::Stats::kGrpcCodeNames[c])},
          static_cast<double>(n));
    }
  }
  families.push_back(std::move(admin));
  AddSingle(families, "sig_admin_watchers", "Open admin WatchEvents streams.", MetricType::Gauge,
            static_cast<double>(state.events.watchers()));
  AddSingle(families, "sig_admin_watch_dropped_events_total",
            "Peer events not delivered to a WatchEvents stream that fell behind.",
            MetricType::Counter, static_cast<double>(state.events.dropped_total()));

  AddProcessMetrics(families);

  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace sig::edge
