#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sig::core {

// Source of the current time. Everything that reads time (pong timestamps, rate limits, expiry)
// takes a Clock so tests can drive it. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace sig::core
