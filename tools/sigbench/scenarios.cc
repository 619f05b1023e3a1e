#include "scenarios.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value_from.hpp>

#include "absl/time/clock.h"
#include "core/strings.h"
#include "latency.h"

namespace sig::bench {
namespace {

namespace net = boost::asio;
namespace json = boost::json;

void SleepUntilNanos(std::int64_t when) {
  const std::int64_t now = NowNanos();
  if (when > now) std::this_thread::sleep_for(std::chrono::nanoseconds(when - now));
}

template <typename T>
json::value OrNull(const std::optional<T>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object LatencyJson(LatencyRecorder::Summary s) {
  return json::object{{"count", s.count},     {"p50", s.p50_us},   {"p90", s.p90_us},
                      {"p99", s.p99_us},      {"p999", s.p999_us}, {"max", s.max_us}};
}

json::object ConnectJson(const Population::ConnectResult& r) {
  json::object o{{"logged_in", r.logged_in},
                 {"failed", r.failed},
                 {"seconds", r.seconds},
                 {"logins_per_s", r.seconds > 0 ? static_cast<double>(r.logged_in) / r.seconds
                                                 : 0.0}};
  if (!r.first_failure.empty()) o["first_failure"] = r.first_failure;
  return o;
}

// Runs `fn` on every client thread and waits for all of them.
void OnEachThread(ClientThreads& threads, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> done{0};
  for (std::size_t i = 0; i < threads.size(); ++i) {
    net::post(threads.context(i), [&fn, &done, i] {
      fn(i);
      done.fetch_add(1);
    });
  }
  while (done.load() < threads.size()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// How long a population of config.peers may take to log in.
absl::Duration ConnectTimeout(const BenchConfig& config) {
  if (config.connect_timeout > absl::ZeroDuration()) return config.connect_timeout;
  return std::max(absl::Seconds(60), absl::Milliseconds(config.peers));
}

std::string RoomOf(const RunContext& run, std::string_view tag, std::size_t group) {
  const std::string& prefix = run.config.room_tag.empty() ? run.config.run_id : run.config.room_tag;
  return run.dialect.kind() == Dialect::Kind::kTd ? core::StrCat(prefix, "-", tag, group)
                                                  : std::string();
}

// P pairs; connection 2i talks to 2i+1. Open loop: each thread sends its share of the rate on a
// 1 ms tick, round robin over its connections. Closed loop: every relayed message that arrives
// is answered with a new one until the window ends.
class RelayLoad {
 public:
  explicit RelayLoad(RunContext& run) : run_(run), population_(run.threads, run.dialect,
                                                               run.population) {
    const std::size_t pairs = run.config.pairs;
    for (std::size_t i = 0; i < 2 * pairs; ++i) {
      population_.Add(core::StrCat(run.config.run_id, "-", i), RoomOf(run, "r", i / 2),
                      (i / 2) % run.threads.size());
    }
    for (std::size_t t = 0; t < run.threads.size(); ++t) {
      workers_.push_back(std::make_unique<Worker>(run.threads.context(t)));
    }
    for (std::size_t i = 0; i < 2 * pairs; ++i) {
      workers_[(i / 2) % run.threads.size()]->members.push_back(i);
    }
    population_.set_on_message(
        [this](LoadConnection& c, std::string_view frame) { OnMessage(c, frame); });
    issued_by_.assign(2 * pairs, 0);
  }

  json::object Run() {
    const BenchConfig& config = run_.config;
    json::object out;
    const auto connected = population_.Connect(absl::Seconds(60));
    out["connect"] = ConnectJson(connected);
    if (connected.failed != 0 || connected.logged_in != population_.size()) {
      out["error"] = "not every peer logged in";
      population_.CloseAll(absl::Seconds(10));
      return out;
    }
    start_ns_ = NowNanos() + 10'000'000;
    window_start_ns_ = start_ns_ + absl::ToInt64Nanoseconds(config.warmup);
    window_end_ns_ = window_start_ns_ + absl::ToInt64Nanoseconds(config.duration);
    for (std::size_t t = 0; t < workers_.size(); ++t) {
      net::post(run_.threads.context(t), [this, t] { StartWorker(t); });
    }
    std::vector<ServerProbe> also(config.also_pids.begin(), config.also_pids.end());
    const auto cpu_of_also = [&also] {
      std::vector<std::optional<double>> cpu;
      for (const ServerProbe& probe : also) cpu.push_back(probe.CpuSeconds());
      return cpu;
    };
    SleepUntilNanos(window_start_ns_);
    const auto cpu0 = run_.probe.CpuSeconds();
    const auto also0 = cpu_of_also();
    SleepUntilNanos(window_end_ns_);
    const auto cpu1 = run_.probe.CpuSeconds();
    const auto also1 = cpu_of_also();
    const auto rss = run_.probe.RssKib();
    // What is still in flight gets a bounded time to arrive; the rest is lost.
    const absl::Time drain_until = absl::Now() + absl::Seconds(5);
    while (received_.load() < sent_.load() && absl::Now() < drain_until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    LatencyRecorder latency;
    OnEachThread(run_.threads, [&](std::size_t t) {
      workers_[t]->timer.cancel();
      stopped_ = true;
    });
    OnEachThread(run_.threads, [&](std::size_t) {});  // handlers that were queued have run
    for (auto& worker : workers_) latency.Merge(worker->latency);
    const std::size_t dropped = population_.dropped();
    population_.CloseAll(absl::Seconds(10));
    OnEachThread(run_.threads, [&](std::size_t t) { workers_[t].reset(); });

    const std::uint64_t in_window = received_in_window_.load();
    const double seconds = absl::ToDoubleSeconds(config.duration);
    out["pairs"] = config.pairs;
    out["offered_rate"] = config.rate;
    out["window"] = config.window;
    out["duration_s"] = seconds;
    out["sent"] = sent_.load();
    out["received"] = received_.load();
    out["lost"] = sent_.load() - std::min(sent_.load(), received_.load());
    out["bad_sent"] = bad_sent_.load();
    out["dropped_connections"] = dropped;
    out["achieved_rate"] = static_cast<double>(in_window) / seconds;
    out["latency_us"] = LatencyJson(latency.Summarize());
    if (cpu0 && cpu1) {
      out["server_cpu_s"] = *cpu1 - *cpu0;
      out["server_cpu_util"] = (*cpu1 - *cpu0) / seconds;
      out["server_cpu_us_per_msg"] =
          in_window > 0 ? (*cpu1 - *cpu0) * 1e6 / static_cast<double>(in_window) : 0.0;
    }
    out["server_rss_kib"] = OrNull(rss);
    if (!also.empty()) {
      // Per process, in --also_pids order: CPU microseconds per message received in the window.
      json::array per_msg;
      for (std::size_t i = 0; i < also.size(); ++i) {
        if (also0[i] && also1[i] && in_window > 0) {
          per_msg.emplace_back((*also1[i] - *also0[i]) * 1e6 / static_cast<double>(in_window));
        } else {
          per_msg.emplace_back(nullptr);
        }
      }
      out["also_cpu_us_per_msg"] = std::move(per_msg);
    }
    return out;
  }

 private:
  struct Worker {
    explicit Worker(net::io_context& io) : timer(io) {}
    std::vector<std::size_t> members;
    std::size_t cursor = 0;
    std::uint64_t issued = 0;
    double rate = 0;
    std::int64_t next_tick = 0;
    net::steady_timer timer;
    LatencyRecorder latency;
  };

  void SendFrom(LoadConnection& c, std::int64_t now) {
    // With bad_every, one message in that many from each connection is cut short: invalid
    // JSON the server must refuse (td: an error frame; PeerJS: dropped) while everything else
    // keeps flowing. Counted per connection, on its own thread, so no connection gets more
    // than its share and hits the server's bad-frame budget.
    if (run_.config.bad_every > 0 &&
        ++issued_by_[c.index()] % run_.config.bad_every == 0) {
      c.Send(std::string(R"({"type":"candidate","target":)"));
      bad_sent_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    c.Send(run_.dialect.Relay(population_.at(c.index() ^ 1).id(), now));
    sent_.fetch_add(1, std::memory_order_relaxed);
  }

  void StartWorker(std::size_t t) {
    Worker& worker = *workers_[t];
    if (run_.config.rate <= 0) {
      SleepUntilNanos(start_ns_);
      for (std::size_t i : worker.members) {
        for (std::size_t k = 0; k < run_.config.window; ++k) SendFrom(population_.at(i), NowNanos());
      }
      return;
    }
    worker.rate = run_.config.rate * static_cast<double>(worker.members.size()) /
                  static_cast<double>(2 * run_.config.pairs);
    worker.next_tick = start_ns_;
    Tick(worker);
  }

  void Tick(Worker& worker) {
    const std::int64_t now = NowNanos();
    if (stopped_ || now >= window_end_ns_) return;
    if (now >= start_ns_) {
      const auto due = static_cast<std::uint64_t>(worker.rate *
                                                  static_cast<double>(now - start_ns_) / 1e9);
      for (; worker.issued < due; ++worker.issued) {
        SendFrom(population_.at(worker.members[worker.cursor++ % worker.members.size()]), now);
      }
    }
    worker.next_tick += 1'000'000;
    worker.timer.expires_at(std::chrono::steady_clock::time_point(
        std::chrono::nanoseconds(std::max(worker.next_tick, now))));
    worker.timer.async_wait([this, &worker](const boost::system::error_code& ec) {
      if (!ec) Tick(worker);
    });
  }

  void OnMessage(LoadConnection& c, std::string_view frame) {
    const auto stamp = Dialect::Stamp(frame);
    if (!stamp) return;
    const std::int64_t now = NowNanos();
    received_.fetch_add(1, std::memory_order_relaxed);
    if (now >= window_start_ns_ && now < window_end_ns_) {
      received_in_window_.fetch_add(1, std::memory_order_relaxed);
    }
    Worker& worker = *workers_[c.worker()];
    if (*stamp >= window_start_ns_ && *stamp < window_end_ns_) {
      worker.latency.Record(now - *stamp);
    }
    if (run_.config.rate <= 0 && now < window_end_ns_ && !stopped_) {
      SendFrom(c, now);  // answers its partner: one message in, one out
    }
  }

  RunContext& run_;
  Population population_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::int64_t start_ns_ = 0;
  std::int64_t window_start_ns_ = 0;
  std::int64_t window_end_ns_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::vector<std::uint64_t> issued_by_;  // per connection, touched on its thread only
  std::atomic<std::uint64_t> bad_sent_{0};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> received_in_window_{0};
};

}  // namespace

json::object RunRelay(RunContext& run) { return RelayLoad(run).Run(); }

json::object RunIdle(RunContext& run) {
  const BenchConfig& config = run.config;
  json::object out;
  const auto rss0 = run.probe.RssKib();
  const auto fds0 = run.probe.OpenFds();
  Population population(run.threads, run.dialect, run.population);
  for (std::size_t i = 0; i < config.peers; ++i) {
    population.Add(core::StrCat(config.run_id, "-", i), RoomOf(run, "r", i / config.room_size),
                   i);
  }
  const auto cpu0 = run.probe.CpuSeconds();
  const auto connected =
      population.Connect(ConnectTimeout(config));
  const auto cpu1 = run.probe.CpuSeconds();
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(config.settle));
  const auto rss1 = run.probe.RssKib();
  const auto fds1 = run.probe.OpenFds();
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(config.hold));
  const std::size_t dropped = population.dropped();
  population.CloseAll(absl::Seconds(60));

  out["peers"] = config.peers;
  out["connect"] = ConnectJson(connected);
  out["dropped_connections"] = dropped;
  out["server_rss_baseline_kib"] = OrNull(rss0);
  out["server_rss_kib"] = OrNull(rss1);
  out["server_fds_baseline"] = OrNull(fds0);
  out["server_fds"] = OrNull(fds1);
  if (rss0 && rss1 && connected.logged_in > 0) {
    out["server_rss_per_peer_bytes"] = static_cast<double>(*rss1 - *rss0) * 1024.0 /
                                       static_cast<double>(connected.logged_in);
  }
  if (cpu0 && cpu1 && connected.logged_in > 0) {
    out["server_cpu_us_per_login"] =
        (*cpu1 - *cpu0) * 1e6 / static_cast<double>(connected.logged_in);
  }
  return out;
}

json::object RunChurn(RunContext& run) {
  const BenchConfig& config = run.config;
  json::object out;
  const auto rss0 = run.probe.RssKib();
  const auto fds0 = run.probe.OpenFds();
  json::array rounds;
  std::size_t failures = 0;
  for (std::size_t r = 0; r < config.rounds; ++r) {
    Population population(run.threads, run.dialect, run.population);
    for (std::size_t i = 0; i < config.peers; ++i) {
      population.Add(core::StrCat(config.run_id, "-c", r, "-", i),
                     RoomOf(run, core::StrCat("c", r, "-"), i / config.room_size), i);
    }
    const auto connected =
        population.Connect(ConnectTimeout(config));
    failures += connected.failed;
    population.CloseAll(absl::Seconds(60));
    // The server closes its side once it sees each close; give it a bounded time to finish.
    const absl::Time until = absl::Now() + absl::Seconds(5);
    std::optional<std::int64_t> fds = run.probe.OpenFds();
    while (fds && fds0 && *fds > *fds0 && absl::Now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      fds = run.probe.OpenFds();
    }
    // Memory the server frees may take it a moment to hand back (sigd trims every 2 s).
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(config.settle));
    json::object round = ConnectJson(connected);
    round["round"] = r + 1;
    round["server_rss_kib"] = OrNull(run.probe.RssKib());
    round["server_fds"] = OrNull(fds);
    rounds.push_back(std::move(round));
  }
  const auto rss1 = run.probe.RssKib();
  const auto fds1 = run.probe.OpenFds();
  out["peers_per_round"] = config.peers;
  out["rounds"] = std::move(rounds);
  out["failed_logins"] = failures;
  out["server_rss_baseline_kib"] = OrNull(rss0);
  out["server_rss_kib"] = OrNull(rss1);
  out["server_fds_baseline"] = OrNull(fds0);
  out["server_fds"] = OrNull(fds1);
  return out;
}

json::object RunHeld(RunContext& run) {
  const BenchConfig& config = run.config;
  json::object out;
  if (run.dialect.kind() != Dialect::Kind::kPeerJs) {
    out["error"] = "the held scenario needs --protocol=peerjs";
    return out;
  }
  Population population(run.threads, run.dialect, run.population);
  std::atomic<std::size_t> expired{0};
  population.set_on_message([&](LoadConnection&, std::string_view frame) {
    if (frame.find("\"EXPIRE\"") != std::string_view::npos) expired.fetch_add(1);
  });
  for (std::size_t i = 0; i < config.peers; ++i) {
    population.Add(core::StrCat(config.run_id, "-", i), "", i);
  }
  const auto connected =
      population.Connect(ConnectTimeout(config));
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(config.settle));
  const auto rss1 = run.probe.RssKib();
  for (std::size_t i = 0; i < population.size(); ++i) {
    population.Post(i, [&run, &config, i](LoadConnection& connection) {
      for (std::size_t k = 0; k < config.held_per_peer; ++k) {
        connection.Send(run.dialect.Relay(core::StrCat(config.run_id, "-absent-", i, "-", k), 0));
      }
    });
  }
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(config.settle));
  const auto rss2 = run.probe.RssKib();
  const std::size_t sent = connected.logged_in * config.held_per_peer;
  const std::size_t held = sent - std::min(sent, expired.load());
  population.CloseAll(absl::Seconds(60));

  out["peers"] = config.peers;
  out["connect"] = ConnectJson(connected);
  out["held_frames"] = held;
  out["expired"] = expired.load();
  out["message_bytes"] = run.dialect.Relay("x", 0).size();
  out["server_rss_kib"] = OrNull(rss1);
  out["server_rss_held_kib"] = OrNull(rss2);
  if (rss1 && rss2 && held > 0) {
    out["server_rss_per_held_frame_bytes"] =
        static_cast<double>(*rss2 - *rss1) * 1024.0 / static_cast<double>(held);
  }
  return out;
}

json::object RunFanout(RunContext& run) {
  const BenchConfig& config = run.config;
  json::object out;
  if (run.dialect.kind() != Dialect::Kind::kTd) {
    out["error"] = "fanout needs the td protocol (PeerJS has no broadcast)";
    return out;
  }
  Population population(run.threads, run.dialect, run.population);
  for (std::size_t i = 0; i < config.fanout_peers; ++i) {
    population.Add(core::StrCat(config.run_id, "-f", i), RoomOf(run, "fan", 0), i);
  }
  const std::size_t recipients = config.fanout_peers - 1;
  std::atomic<std::size_t> arrivals{0};
  std::atomic<std::size_t> rounds_done{0};
  std::mutex mu;
  LatencyRecorder completion;  // guarded by mu
  LatencyRecorder delivery;    // guarded by mu
  population.set_on_message([&](LoadConnection& c, std::string_view frame) {
    const auto stamp = Dialect::Stamp(frame);
    if (!stamp || c.index() == 0) return;
    const std::int64_t now = NowNanos();
    {
      std::lock_guard lock(mu);
      delivery.Record(now - *stamp);
    }
    if (arrivals.fetch_add(1) + 1 < recipients) return;
    // The last recipient of this broadcast: every other one has counted already.
    arrivals = 0;
    {
      std::lock_guard lock(mu);
      completion.Record(now - *stamp);
    }
    if (rounds_done.fetch_add(1) + 1 < config.rounds) {
      population.Post(0, [&](LoadConnection& sender) {
        sender.Send(run.dialect.Broadcast(NowNanos()));
      });
    }
  });
  const auto connected = population.Connect(absl::Seconds(60));
  out["connect"] = ConnectJson(connected);
  if (connected.logged_in != config.fanout_peers) {
    out["error"] = "not every peer logged in";
    population.CloseAll(absl::Seconds(10));
    return out;
  }
  // Joins announce themselves to the room; let those notices drain first.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto cpu0 = run.probe.CpuSeconds();
  population.Post(0, [&](LoadConnection& sender) {
    sender.Send(run.dialect.Broadcast(NowNanos()));
  });
  const absl::Time until = absl::Now() + absl::Seconds(60);
  while (rounds_done.load() < config.rounds && absl::Now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto cpu1 = run.probe.CpuSeconds();
  population.CloseAll(absl::Seconds(10));
  std::lock_guard lock(mu);
  out["room_size"] = config.fanout_peers;
  out["broadcasts"] = rounds_done.load();
  out["last_delivery_us"] = LatencyJson(completion.Summarize());
  out["delivery_us"] = LatencyJson(delivery.Summarize());
  if (cpu0 && cpu1 && rounds_done.load() > 0) {
    out["server_cpu_us_per_delivery"] =
        (*cpu1 - *cpu0) * 1e6 / static_cast<double>(rounds_done.load() * recipients);
  }
  return out;
}

}  // namespace sig::bench
