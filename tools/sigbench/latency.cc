#include "latency.h"

#include <algorithm>

namespace sig::bench {

void LatencyRecorder::Merge(const LatencyRecorder& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
}

LatencyRecorder::Summary LatencyRecorder::Summarize() {
  Summary s;
  s.count = samples_.size();
  if (samples_.empty()) return s;
  std::sort(samples_.begin(), samples_.end());
  // Nearest rank: the smallest sample with at least q of all samples at or below it.
  const auto at = [this](double q) {
    const auto rank = static_cast<std::size_t>(q * static_cast<double>(samples_.size()));
    return static_cast<double>(samples_[std::min(rank, samples_.size() - 1)]) / 1000.0;
  };
  s.p50_us = at(0.50);
  s.p90_us = at(0.90);
  s.p99_us = at(0.99);
  s.p999_us = at(0.999);
  s.max_us = static_cast<double>(samples_.back()) / 1000.0;
  return s;
}

}  // namespace sig::bench
