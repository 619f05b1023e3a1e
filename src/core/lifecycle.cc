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

std::size_t Lifecycle::AddListener(Listener listener) {
  MutexLock lock(&mu_);
  listeners_.emplace_back(next_handle_, std::move(listener));
  return next_handle_++;
}

void Lifecycle::RemoveListener(std::size_t handle) {
  MutexLock lock(&mu_);
  std::erase_if(listeners_, [handle](const auto& entry) { return entry.first == handle; });
}

bool Lifecycle::Advance(Phase from_at_most, Phase to, absl::Duration grace) {
  MutexLock lock(&mu_);
  if (phase_.load(std::memory_order_relaxed) > from_at_most) return false;
  phase_.store(to, std::memory_order_release);
  for (const auto& [handle, listener] : listeners_) listener(to, grace);
  return true;
}

absl::Status Lifecycle::Drain(absl::Duration grace) {
  if (!Advance(Phase::kServing, Phase::kDraining, grace)) {
    return absl::FailedPreconditionError(
        std::string("the server is already ").append(Name(phase())));
  }
  return absl::OkStatus();
}

absl::Status Lifecycle::Undrain() {
  MutexLock lock(&mu_);
  const Phase now = phase_.load(std::memory_order_relaxed);
  if (now != Phase::kDraining) {
    return absl::FailedPreconditionError(std::string("the server is ").append(Name(now)));
  }
  phase_.store(Phase::kServing, std::memory_order_release);
  for (const auto& [handle, listener] : listeners_) listener(Phase::kServing, absl::ZeroDuration());
  return absl::OkStatus();
}

bool Lifecycle::Stop() { return Advance(Phase::kDraining, Phase::kStopping, absl::ZeroDuration()); }

}  // namespace sig::core
