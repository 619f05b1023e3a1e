#include "edge/refusal_log.h"

#include "core/log.h"

namespace sig::edge {

void RefusalLog::Refused(core::LoginRejection reason, absl::Time now) {
  const std::size_t r = core::OutcomeIndex(reason);
  core::MutexLock lock(&mu_);
  Episode& e = episodes_[r];
  ++e.refused;
  e.last_refused = now;
  if (!e.open) {
    e = Episode{true, 1, now, now, now};
    open_.fetch_add(1, std::memory_order_relaxed);
    core::Log(core::LogLevel::kWarning, "refusing WebSocket upgrades",
              {{"reason", core::Name(reason)}});
  } else if (now - e.last_logged >= kRemindEvery) {
    e.last_logged = now;
    core::Log(core::LogLevel::kWarning, "still refusing WebSocket upgrades",
              {{"reason", core::Name(reason)},
               {"refused", e.refused},
               {"for", absl::FormatDuration(absl::Trunc(now - e.started, absl::Seconds(1)))}});
  }
}

void RefusalLog::Admitted(absl::Time now) {
  if (open_.load(std::memory_order_relaxed) == 0) return;
  core::MutexLock lock(&mu_);
  for (std::size_t r = 0; r < episodes_.size(); ++r) {
    Episode& e = episodes_[r];
    if (!e.open || now - e.last_refused < kQuiet) continue;
    core::Log(core::LogLevel::kInfo, "no longer refusing WebSocket upgrades",
              {{"reason", core::kLoginRejectionNames[r]},
               {"refused", e.refused},
               {"for", absl::FormatDuration(
                           absl::Trunc(e.last_refused - e.started, absl::Seconds(1)))}});
    e = Episode{};
    open_.fetch_sub(1, std::memory_order_relaxed);
  }
}

}  // namespace sig::edge
