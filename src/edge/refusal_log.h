#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/time/time.h"
#include "core/mutex.h"
#include "core/outcome.h"

namespace sig::edge {

// Logs storms of refused WebSocket upgrades once per episode, never once per refusal: a warning
// at an episode's first refusal of a reason, a reminder with the count every kRemindEvery while
// it lasts, and, at the first admitted upgrade after kQuiet without one, how many it refused
// over how long. Thread-safe; Admitted costs one relaxed load while no episode is open.
class RefusalLog {
 public:
  static constexpr absl::Duration kQuiet = absl::Seconds(10);
  static constexpr absl::Duration kRemindEvery = absl::Seconds(60);

  void Refused(core::LoginRejection reason, absl::Time now);
  void Admitted(absl::Time now);

 private:
  struct Episode {
    bool open = false;
    std::uint64_t refused = 0;
    absl::Time started;
    absl::Time last_refused;
    absl::Time last_logged;
  };
  core::Mutex mu_;
  std::array<Episode, core::kLoginRejectionNames.size()> episodes_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> open_{0};  // episodes open
};

}  // namespace sig::edge
