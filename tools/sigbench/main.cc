// sigbench: load for WebRTC signaling servers over the td or the PeerJS protocol, so the same
// load drives sigd, peerjs-server and the bare-C floor. One JSON line per run on stdout, a
// readable summary on stderr. See docs/benchmarks.md.
#include <sys/types.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/json/serialize.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "core/strings.h"
#include "scenarios.h"

ABSL_FLAG(std::string, scenario, "relay", "relay | idle | churn | fanout | held");
ABSL_FLAG(std::string, protocol, "peerjs", "td | peerjs");
ABSL_FLAG(std::string, server, "127.0.0.1:8080", "the server's IPv4 address and port");
ABSL_FLAG(std::string, path, "", "WebSocket path (default: td '/', peerjs '/peerjs/peerjs')");
ABSL_FLAG(std::string, key, "peerjs", "PeerJS key");
ABSL_FLAG(std::string, label, "", "names the server in the output (sigd, floor, peerjs-server)");
ABSL_FLAG(int, server_pid, 0, "the server's pid, for CPU, RSS and fds from /proc (0: none)");
ABSL_FLAG(int, threads, 1, "client threads");
ABSL_FLAG(std::string, peer_server, "",
          "relay: the second peer of each pair connects here (another node of a cluster: every "
          "message crosses nodes); empty: --server");
ABSL_FLAG(std::vector<std::string>, also_pids, {},
          "relay: more pids (a cluster's other nodes, Redis) whose CPU per message is reported");
ABSL_FLAG(int, sources, 1, "source addresses 127.0.0.1 .. 127.0.0.N, to pass the port range");
ABSL_FLAG(int, concurrency, 256, "handshakes in flight");
ABSL_FLAG(absl::Duration, keep_alive, absl::Seconds(5),
          "how often each peer sends its keep-alive (td ping, PeerJS HEARTBEAT); 0: never");
ABSL_FLAG(int, pairs, 200, "relay: pairs of peers");
ABSL_FLAG(double, rate, 20000, "relay: messages/s offered over all pairs; 0: closed loop");
ABSL_FLAG(int, window, 1, "relay, closed loop: messages in flight per direction of each pair");
ABSL_FLAG(int, message_bytes, 300, "relay: approximate size of each message");
ABSL_FLAG(int, bad_every, 0, "relay: every this many messages, one is invalid JSON (0: none)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "relay: measured time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "relay: load before measuring");
ABSL_FLAG(int, peers, 10000, "idle, churn: peers");
ABSL_FLAG(std::string, room_tag, "",
          "td rooms are named after it (default: a random run id); loads given one tag share "
          "rooms");
ABSL_FLAG(absl::Duration, connect_timeout, absl::ZeroDuration(),
          "idle, churn: how long logins may take (0: 60 s, or 1 ms a peer if longer)");
ABSL_FLAG(int, rounds, 10, "churn: rounds; fanout: broadcasts");
ABSL_FLAG(int, room_size, 10, "idle, churn with td: peers per room");
ABSL_FLAG(int, fanout_peers, 1000, "fanout: peers in the room");
ABSL_FLAG(absl::Duration, settle, absl::Seconds(2),
          "idle, churn: wait before reading the server's RSS");
ABSL_FLAG(absl::Duration, hold, absl::ZeroDuration(), "idle: how long peers stay after that");
ABSL_FLAG(int, held_per_peer, 64,
          "held (PeerJS): messages each peer sends to ids nobody holds, for the server to hold");

namespace {

using sig::core::StrCat;

[[noreturn]] void Usage(const std::string& message) {
  std::fprintf(stderr, "sigbench: %s\n", message.c_str());
  std::exit(2);
}

// "IPV4:PORT" as an endpoint, or a usage error naming `flag`.
boost::asio::ip::tcp::endpoint Endpoint(const char* flag, const std::string& text) {
  const std::size_t colon = text.rfind(':');
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v4(text.substr(0, colon), ec);
  if (colon == std::string::npos || ec) Usage(StrCat(flag, " must be IPV4:PORT"));
  const int port = std::atoi(text.c_str() + colon + 1);
  if (port <= 0 || port > 65535) Usage(StrCat(flag, " port out of range"));
  return boost::asio::ip::tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

std::size_t Positive(const char* name, int value) {
  if (value <= 0) Usage(StrCat("--", name, " must be positive"));
  return static_cast<std::size_t>(value);
}

// A number from the result, or -1 when absent (the server's pid was not given).
double Num(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(boost::json::string_view(key.data(), key.size()));
  if (v == nullptr) return -1;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return -1;
}

const boost::json::object& Obj(const boost::json::object& o, std::string_view key) {
  static const boost::json::object kEmpty;
  const auto* v = o.if_contains(boost::json::string_view(key.data(), key.size()));
  return v != nullptr && v->is_object() ? v->get_object() : kEmpty;
}

// The readable summary on stderr; the JSON line on stdout is the record.
void PrintSummary(const boost::json::object& r) {
  const auto& connect = Obj(r, "connect");
  std::fprintf(stderr, "%s %s %s: %.0f logged in, %.0f failed, %.0f logins/s\n",
               r.at("scenario").as_string().c_str(), r.at("protocol").as_string().c_str(),
               r.at("label").as_string().c_str(), Num(connect, "logged_in"),
               Num(connect, "failed"), Num(connect, "logins_per_s"));
  if (const auto* error = r.if_contains("error")) {
    std::fprintf(stderr, "  error: %s\n", error->as_string().c_str());
  }
  const auto& latency = Obj(r, "latency_us");
  if (!latency.empty()) {
    std::fprintf(stderr,
                 "  %.0f sent, %.0f received, %.0f lost; %.0f msg/s; latency us p50 %.0f p90 %.0f "
                 "p99 %.0f p99.9 %.0f max %.0f\n",
                 Num(r, "sent"), Num(r, "received"), Num(r, "lost"), Num(r, "achieved_rate"),
                 Num(latency, "p50"), Num(latency, "p90"), Num(latency, "p99"),
                 Num(latency, "p999"), Num(latency, "max"));
  }
  if (r.contains("server_cpu_us_per_msg")) {
    std::fprintf(stderr, "  server: %.2f us CPU per message, %.0f%% of a core\n",
                 Num(r, "server_cpu_us_per_msg"), 100 * Num(r, "server_cpu_util"));
  }
  if (r.contains("server_rss_per_peer_bytes")) {
    std::fprintf(stderr, "  server: RSS %.0f -> %.0f KiB, %.0f bytes per peer\n",
                 Num(r, "server_rss_baseline_kib"), Num(r, "server_rss_kib"),
                 Num(r, "server_rss_per_peer_bytes"));
  }
  if (r.contains("server_rss_per_held_frame_bytes")) {
    std::fprintf(stderr, "  server: %.0f frames held, RSS +%.0f KiB, %.0f bytes per held frame\n",
                 Num(r, "held_frames"), Num(r, "server_rss_held_kib") - Num(r, "server_rss_kib"),
                 Num(r, "server_rss_per_held_frame_bytes"));
  }
  if (r.contains("rounds") && r.at("rounds").is_array()) {
    for (const auto& round : r.at("rounds").as_array()) {
      const auto& o = round.as_object();
      std::fprintf(stderr, "  round %.0f: %.0f logged in, server RSS %.0f KiB, %.0f fds\n",
                   Num(o, "round"), Num(o, "logged_in"), Num(o, "server_rss_kib"),
                   Num(o, "server_fds"));
    }
  }
  const auto& last = Obj(r, "last_delivery_us");
  if (!last.empty()) {
    std::fprintf(stderr, "  %.0f broadcasts; last recipient after us p50 %.0f p99 %.0f max %.0f\n",
                 Num(r, "broadcasts"), Num(last, "p50"), Num(last, "p99"), Num(last, "max"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("load generator for sigd, peerjs-server and the floor relay");
  absl::ParseCommandLine(argc, argv);
  namespace net = boost::asio;
  using sig::bench::Dialect;

  const std::string protocol = absl::GetFlag(FLAGS_protocol);
  if (protocol != "td" && protocol != "peerjs") Usage("--protocol must be td or peerjs");
  const Dialect::Kind kind = protocol == "td" ? Dialect::Kind::kTd : Dialect::Kind::kPeerJs;
  std::string path = absl::GetFlag(FLAGS_path);
  if (path.empty()) path = kind == Dialect::Kind::kTd ? "/" : "/peerjs/peerjs";
  const Dialect dialect(kind, path, absl::GetFlag(FLAGS_key),
                        Positive("message_bytes", absl::GetFlag(FLAGS_message_bytes)));

  const std::string server = absl::GetFlag(FLAGS_server);
  sig::bench::Population::Options population;
  population.server = Endpoint("--server", server);
  if (const std::string peer = absl::GetFlag(FLAGS_peer_server); !peer.empty()) {
    population.odd_server = Endpoint("--peer_server", peer);
  }
  const std::size_t sources = Positive("sources", absl::GetFlag(FLAGS_sources));
  if (sources > 254) Usage("--sources is at most 254");
  for (std::size_t i = 1; i <= sources; ++i) {
    population.sources.push_back(net::ip::make_address_v4(StrCat("127.0.0.", i)));
  }
  population.concurrency = Positive("concurrency", absl::GetFlag(FLAGS_concurrency));
  population.keep_alive = absl::GetFlag(FLAGS_keep_alive);

  sig::bench::BenchConfig config;
  absl::BitGen random;
  config.run_id = StrCat("b", absl::Uniform<std::uint32_t>(random));
  config.room_tag = absl::GetFlag(FLAGS_room_tag);
  config.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  config.pairs = Positive("pairs", absl::GetFlag(FLAGS_pairs));
  config.rate = absl::GetFlag(FLAGS_rate);
  if (config.rate < 0) Usage("--rate must not be negative");
  config.window = Positive("window", absl::GetFlag(FLAGS_window));
  if (absl::GetFlag(FLAGS_bad_every) < 0) Usage("--bad_every must not be negative");
  config.bad_every = static_cast<std::size_t>(absl::GetFlag(FLAGS_bad_every));
  config.duration = absl::GetFlag(FLAGS_duration);
  config.warmup = absl::GetFlag(FLAGS_warmup);
  if (config.duration <= absl::ZeroDuration() || config.warmup < absl::ZeroDuration()) {
    Usage("--duration must be positive and --warmup not negative");
  }
  config.peers = Positive("peers", absl::GetFlag(FLAGS_peers));
  config.rounds = Positive("rounds", absl::GetFlag(FLAGS_rounds));
  config.room_size = Positive("room_size", absl::GetFlag(FLAGS_room_size));
  config.fanout_peers = Positive("fanout_peers", absl::GetFlag(FLAGS_fanout_peers));
  if (config.fanout_peers < 2) Usage("--fanout_peers must be at least 2");
  config.settle = absl::GetFlag(FLAGS_settle);
  config.hold = absl::GetFlag(FLAGS_hold);
  config.held_per_peer = Positive("held_per_peer", absl::GetFlag(FLAGS_held_per_peer));
  for (const std::string& pid : absl::GetFlag(FLAGS_also_pids)) {
    int value = 0;
    if (!absl::SimpleAtoi(pid, &value) || value <= 0) Usage("--also_pids takes pids");
    config.also_pids.push_back(static_cast<pid_t>(value));
  }

  const int pid = absl::GetFlag(FLAGS_server_pid);
  const sig::bench::ServerProbe probe(static_cast<pid_t>(pid));
  sig::bench::ClientThreads threads(Positive("threads", absl::GetFlag(FLAGS_threads)));
  sig::bench::RunContext run{threads, dialect, population, probe, config};

  const std::string scenario = absl::GetFlag(FLAGS_scenario);
  boost::json::object result{{"scenario", scenario},
                             {"protocol", protocol},
                             {"label", absl::GetFlag(FLAGS_label)},
                             {"server", server},
                             {"client_threads", threads.size()}};
  boost::json::object figures;
  if (scenario == "relay") {
    figures = sig::bench::RunRelay(run);
  } else if (scenario == "idle") {
    figures = sig::bench::RunIdle(run);
  } else if (scenario == "churn") {
    figures = sig::bench::RunChurn(run);
  } else if (scenario == "fanout") {
    figures = sig::bench::RunFanout(run);
  } else if (scenario == "held") {
    figures = sig::bench::RunHeld(run);
  } else {
    Usage("--scenario must be relay, idle, churn, fanout or held");
  }
  for (auto& [key, value] : figures) result[key] = std::move(value);
  std::printf("%s\n", boost::json::serialize(result).c_str());
  std::fflush(stdout);
  PrintSummary(result);
  return result.contains("error") ? 1 : 0;
}
