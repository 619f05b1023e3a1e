#include "core/lifecycle.h"

#include <utility>

namespace sig::core {

std::string_view Lifecycle::Name(Phase phase) {
  switch (phase) {
    case Phase::kServing:
      return "serving";
    case Phase::kDraining:
      return "draining";
    case Phase::kStopping:
      return "stopping";
  }
  return "unknown";
}

void Lifecycle::AddListener(Listener listener) {
  MutexLock lock(&mu_);
  listeners_.push_back(std::move(listener));
}

bool Lifecycle::Advance(Phase from_at_most, Phase to, absl::Duration grace) {
  std::vector<Listener> listeners;
  {
    MutexLock lock(&mu_);
    if (phase_.load(std::memory_order_relaxed) > from_at_most) return false;
    phase_.store(to, std::memory_order_release);
    listeners = listeners_;
  }
  for (const Listener& listener : listeners) listener(to, grace);
  return true;
}

absl::Status Lifecycle::Drain(absl::Duration grace) {
  if (!Advance(Phase::kServing, Phase::kDraining, grace)) {
    return absl::FailedPreconditionError(
        std::string("the server is already ").append(Name(phase())));
  }
  return absl::OkStatus();
}

bool Lifecycle::Stop() { return Advance(Phase::kDraining, Phase::kStopping, absl::ZeroDuration()); }

}  // namespace sig::core
