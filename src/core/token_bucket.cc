#include "core/token_bucket.h"

#include <algorithm>

namespace sig::core {

TokenBucket::TokenBucket(std::uint32_t burst, absl::Duration refill, absl::Time now)
    : burst_(burst),
      refill_ns_(absl::ToInt64Nanoseconds(refill)),
      tokens_(burst),
      last_refill_ns_(absl::ToUnixNanos(now)) {}

void TokenBucket::Refill(std::int64_t now_ns) {
  if (tokens_ >= burst_ || refill_ns_ <= 0) {
    last_refill_ns_ = now_ns;
    return;
  }
  const std::int64_t periods = (now_ns - last_refill_ns_) / refill_ns_;
  if (periods <= 0) return;
  const auto room = static_cast<std::int64_t>(burst_ - tokens_);
  tokens_ += static_cast<std::uint32_t>(std::min(periods, room));
  // Keep the remainder of a partial period so refills do not drift late.
  last_refill_ns_ = tokens_ >= burst_ ? now_ns : last_refill_ns_ + refill_ns_ * periods;
}

bool TokenBucket::TryTake(absl::Time now) {
  Refill(absl::ToUnixNanos(now));
  if (tokens_ == 0) return false;
  --tokens_;
  return true;
}

bool TokenBucket::Full(absl::Time now) {
  Refill(absl::ToUnixNanos(now));
  return tokens_ >= burst_;
}

bool TokenBucket::HasToken(absl::Time now) {
  Refill(absl::ToUnixNanos(now));
  return tokens_ > 0;
}

absl::Duration TokenBucket::TimeToNextToken(absl::Time now) const {
  if (tokens_ > 0) return absl::ZeroDuration();
  if (refill_ns_ <= 0) return absl::InfiniteDuration();
  // Refills are applied lazily: a whole period gone by is a token waiting to be counted.
  const std::int64_t elapsed = absl::ToUnixNanos(now) - last_refill_ns_;
  return absl::Nanoseconds(std::max<std::int64_t>(0, refill_ns_ - elapsed));
}

}  // namespace sig::core
