#pragma once

#include <cstdint>

#include "absl/time/time.h"

namespace sig::core {

// A token bucket: holds up to `burst` tokens, gains one per `refill` period, and each event
// spends one. Not thread-safe: each connection owns its own, on its own executor. Time is passed
// in so tests drive it with a fake clock. It runs once per message read, so it keeps time in
// integer nanoseconds: absl::IDivDuration was about 250 instructions per message (callgrind).
class TokenBucket {
 public:
  TokenBucket(std::uint32_t burst, absl::Duration refill, absl::Time now);

  // Spends a token if one is left; false when the bucket is empty (the event is over the limit).
  bool TryTake(absl::Time now);

  // Whether the bucket holds every token (nothing spent that has not come back).
  bool Full(absl::Time now);
  // Whether a token is left, without spending it.
  bool HasToken(absl::Time now);

  // How long after `now` the bucket gains its next token (zero when it has one; infinite when
  // it never refills).
  absl::Duration TimeToNextToken(absl::Time now) const;

 private:
  void Refill(std::int64_t now_ns);

  std::uint32_t burst_;
  std::int64_t refill_ns_;  // <= 0: never refills
  std::uint32_t tokens_;
  std::int64_t last_refill_ns_;
};

}  // namespace sig::core
