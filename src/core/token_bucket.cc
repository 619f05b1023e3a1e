#include "core/token_bucket.h"

#include <algorithm>

namespace sig::core {

TokenBucket::TokenBucket(std::uint32_t burst, absl::Duration refill, absl::Time now)
    : burst_(burst), refill_(refill), tokens_(burst), last_refill_(now) {}

void TokenBucket::Refill(absl::Time now) {
  if (tokens_ >= burst_ || refill_ <= absl::ZeroDuration()) {
    last_refill_ = now;
    return;
  }
  absl::Duration remainder;
  const std::int64_t periods = absl::IDivDuration(now - last_refill_, refill_, &remainder);
  if (periods <= 0) return;
  const auto room = static_cast<std::int64_t>(burst_ - tokens_);
  tokens_ += static_cast<std::uint32_t>(std::min(periods, room));
  // Keep the remainder of a partial period so refills do not drift late.
  last_refill_ = tokens_ >= burst_ ? now : last_refill_ + refill_ * periods;
}

bool TokenBucket::TryTake(absl::Time now) {
  Refill(now);
  if (tokens_ == 0) return false;
  --tokens_;
  return true;
}

}  // namespace sig::core
