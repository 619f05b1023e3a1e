#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/mutex.h"

namespace sig::core {

// Whether the server takes new peers, shared by the edge (refuses upgrades, answers /health)
// and the admin plane (gRPC health, Drain). Phases move forward, serving → draining → stopping
// or serving → stopping, except that an operator may end a drain (draining → serving).
class Lifecycle {
 public:
  enum class Phase : std::uint8_t { kServing, kDraining, kStopping };
  // Called on the thread that changed the phase, under the lifecycle's lock (so RemoveListener
  // waits for a call in progress): a listener must not call back into the Lifecycle. `grace` is
  // the drain's grace period (zero when stopping).
  using Listener = std::function<void(Phase phase, absl::Duration grace)>;

  Phase phase() const { return phase_.load(std::memory_order_acquire); }
  bool serving() const { return phase() == Phase::kServing; }
  static std::string_view Name(Phase phase);

  // Returns a handle for RemoveListener; an object that registers `this` must remove it before
  // it goes.
  std::size_t AddListener(Listener listener);
  void RemoveListener(std::size_t handle);

  // Serving → draining: new peers are refused now, the remaining ones closed with 1012 after
  // `grace`. FailedPrecondition when not serving.
  absl::Status Drain(absl::Duration grace);

  // Draining → serving: listeners hear kServing and call off what the drain planned.
  // FailedPrecondition when not draining.
  absl::Status Undrain();

  // Any phase → stopping. Returns false if already stopping.
  bool Stop();

 private:
  bool Advance(Phase from_at_most, Phase to, absl::Duration grace);

  std::atomic<Phase> phase_{Phase::kServing};
  Mutex mu_;
  std::vector<std::pair<std::size_t, Listener>> listeners_ ABSL_GUARDED_BY(mu_);
  std::size_t next_handle_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sig::core
