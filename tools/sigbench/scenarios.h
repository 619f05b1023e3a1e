#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <sys/types.h>

#include <boost/json/object.hpp>

#include "absl/time/time.h"
#include "dialect.h"
#include "population.h"
#include "server_probe.h"

namespace sig::bench {

struct BenchConfig {
  std::string run_id;  // prefixes every peer id, so runs against one server never collide
  // Prefixes td room names (default: run_id). Runs given one tag share rooms, so that loads on
  // several cluster nodes fill the same rooms.
  std::string room_tag;
  absl::Duration connect_timeout = absl::ZeroDuration();  // idle, churn; 0: 60 s or 1 ms a peer
  std::size_t pairs = 200;
  double rate = 20000;  // relayed messages per second over all pairs; 0: closed loop
  std::size_t window = 1;  // closed loop: messages in flight per direction of each pair
  std::size_t bad_every = 0;  // relay: every this many messages, one is invalid JSON (0: none)
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  std::size_t peers = 10000;       // idle, churn
  std::size_t rounds = 10;         // churn rounds; fanout broadcasts
  std::size_t room_size = 10;      // td rooms in idle and churn
  std::size_t fanout_peers = 1000;
  absl::Duration settle = absl::Seconds(2);  // idle, churn: before reading RSS
  absl::Duration hold = absl::ZeroDuration();  // idle: how long peers stay after that
  std::size_t held_per_peer = 64;              // held: frames each peer leaves held
  // relay: other processes whose CPU the run also reports (a cluster's other nodes, Redis).
  std::vector<pid_t> also_pids;
};

// Everything a scenario runs with. Each scenario returns its figures as one JSON object.
struct RunContext {
  ClientThreads& threads;
  const Dialect& dialect;
  Population::Options population;
  const ServerProbe& probe;
  const BenchConfig& config;
};

boost::json::object RunRelay(RunContext& run);
boost::json::object RunIdle(RunContext& run);
boost::json::object RunChurn(RunContext& run);
boost::json::object RunFanout(RunContext& run);
// PeerJS: each of `peers` sends held_per_peer messages to ids nobody holds, which the server
// holds for them (run it with an expire_timeout longer than the run); reports the server's RSS
// per held frame.
boost::json::object RunHeld(RunContext& run);

}  // namespace sig::bench
