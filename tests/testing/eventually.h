#pragma once

#include <chrono>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "testing/ws_client.h"

namespace sig::testing {

// Polls `predicate` every few milliseconds until it holds or `timeout` passes; returns its last
// value. For state another thread changes (a counter the server bumps after the client saw the
// effect), never as a sleep.
template <class Predicate>
bool Eventually(Predicate predicate, absl::Duration timeout = kWait) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!predicate()) {
    if (absl::Now() >= deadline) return predicate();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace sig::testing
