#pragma once

#include <cstdint>

#include "absl/time/time.h"

namespace sig::core {

// A token bucket: holds up to `burst` tokens, gains one per `refill` period, and each event
// spends one. Not thread-safe: each connection owns its own, on its own executor. Time is passed
// in so tests drive it with a fake clock.
class TokenBucket {
 public:
  TokenBucket(std::uint32_t burst, absl::Duration refill, absl::Time now);

  // Spends a token if one is left; false when the bucket is empty (the event is over the limit).
  bool TryTake(absl::Time now);

 private:
  void Refill(absl::Time now);

  std::uint32_t burst_;
  absl::Duration refill_;
  std::uint32_t tokens_;
  absl::Time last_refill_;
};

}  // namespace sig::core
