#pragma once

#include "core/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"

namespace sig::testing {

// A clock that moves only when the test says so. Thread-safe.
class FakeClock final : public core::Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000)) : now_(start) {}
  absl::Time Now() const override {
    core::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    core::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable core::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sig::testing
