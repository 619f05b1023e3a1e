#include "core/rate_limiter.h"

#include <algorithm>

namespace sig::core {

RateLimiter::Decision RateLimiter::Admit(absl::Time now) {
  if (bucket_.TryTake(now)) {
    // A message that did not have to wait: the peer is within its rate again. The one that
    // waited and is now let through says nothing of that.
    if (!waiting_) over_since_.reset();
    waiting_ = false;
    return {Verdict::kTake, absl::ZeroDuration()};
  }
  if (!over_since_) over_since_ = now;
  if (now - *over_since_ >= grace_) {
    waiting_ = false;
    return {Verdict::kClose, absl::ZeroDuration()};
  }
  waiting_ = true;
  // At most one refill period: the bucket gains a token within it.
  const absl::Duration wait = std::clamp(bucket_.TimeToNextToken(now), absl::Milliseconds(1), refill_);
  return {Verdict::kWait, wait};
}

}  // namespace sig::core
