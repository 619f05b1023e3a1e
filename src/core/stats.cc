#include "core/stats.h"

#include <algorithm>

namespace sig::core {
Stats::Shard& Stats::ThreadShard() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shards_[index];
}

void Stats::CountFrameIn(Protocol p, FrameType type, std::size_t bytes) {
  Shard& shard = ThreadShard();
  Add(shard.frames_in[Index(p)][type < kMaxFrameTypes ? type : kOtherFrameType]);
  Add(shard.bytes_in, bytes);
  std::size_t b = 0;
  while (b < kSizeBuckets.size() && static_cast<double>(bytes) > kSizeBuckets[b]) ++b;
  Add(shard.size_buckets[b]);
}

void Stats::CountFrameOut(Protocol p, FrameType type, std::size_t bytes) {
  Shard& shard = ThreadShard();
  Add(shard.frames_out[Index(p)][type < kMaxFrameTypes ? type : kOtherFrameType]);
  Add(shard.bytes_out, bytes);
}

void Stats::ObserveRelayLatency(std::int64_t nanos) {
  if (nanos < 0) nanos = 0;
  const double seconds = static_cast<double>(nanos) * 1e-9;
  std::size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  Shard& shard = ThreadShard();
  Add(shard.latency_buckets[b]);
  Add(shard.latency_sum_ns, static_cast<std::uint64_t>(nanos));
}

void Stats::CountAdminCall(std::size_t method, int code) {
  if (method >= kAdminMethods.size()) return;
  const std::size_t c = code >= 0 && code < static_cast<int>(kGrpcCodes) ? static_cast<std::size_t>(code)
                                                                          : 2;  // UNKNOWN
  Add(admin_calls_[method][c]);
}

void Stats::CountClose(std::uint16_t code) {
  const auto* it = std::find(kCloseCodes.begin(), kCloseCodes.end(), code);
  Add(closes_[static_cast<std::size_t>(it - kCloseCodes.begin())]);
}

}  // namespace sig::core
