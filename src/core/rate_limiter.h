#pragma once

#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "core/token_bucket.h"

namespace sig::core {

// One connection's message rate: a token bucket whose first answer to a peer over its rate is
// "wait" (the session stops reading until the next token, so TCP slows the sender and nothing
// is lost) and whose last answer, once the peer has stayed over the rate for `grace`, is
// "close". A peer is over the rate from the first message that has to wait until a message
// arrives that does not: a client flushing a backlog after a reconnect waits and is served; a
// flood waits on every message and is closed.
//
// Not thread-safe: each connection owns its own, on its own executor. Time is passed in, so
// tests drive it with a fake clock.
class RateLimiter {
 public:
  RateLimiter(std::uint32_t burst, absl::Duration refill, absl::Duration grace, absl::Time now)
      : bucket_(burst, refill, now), refill_(refill), grace_(grace) {}

  enum class Verdict {
    kTake,   // handle the message now
    kWait,   // handle it after `wait`, then ask again for the same message
    kClose,  // over the rate for longer than the grace: close the peer
  };
  struct Decision {
    Verdict verdict;
    absl::Duration wait;  // kWait only
  };

  // The next message (or the one told to wait, asked again) at `now`.
  Decision Admit(absl::Time now);

 private:
  TokenBucket bucket_;
  absl::Duration refill_;
  absl::Duration grace_;
  std::optional<absl::Time> over_since_;  // set while the peer is over the rate
  bool waiting_ = false;                  // the last answer was kWait
};

}  // namespace sig::core
