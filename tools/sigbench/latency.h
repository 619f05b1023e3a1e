#pragma once

#include <cstdint>
#include <vector>

namespace sig::bench {

// Latency samples in nanoseconds. One recorder per client thread (no locking); Merge combines
// them when the run is over. Every sample is kept: a run is bounded in count, and exact
// percentiles need no bucket choice.
class LatencyRecorder {
 public:
  void Record(std::int64_t nanos) { samples_.push_back(nanos); }
  void Merge(const LatencyRecorder& other);

  struct Summary {
    std::uint64_t count = 0;
    double p50_us = 0;
    double p90_us = 0;
    double p99_us = 0;
    double p999_us = 0;
    double max_us = 0;
  };
  // Sorts the samples.
  Summary Summarize();

 private:
  std::vector<std::int64_t> samples_;
};

}  // namespace sig::bench
