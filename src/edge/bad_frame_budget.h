#pragma once

#include <string_view>

#include "core/clock.h"
#include "core/limits.h"
#include "core/token_bucket.h"
#include "edge/protocol.h"

namespace sig::edge {

// How many bad frames one connection may send: limits.bad_frame_burst at once, then one per
// limits.bad_frame_refill. Charge() closes the connection with 1008 when the budget is spent.
class BadFrameBudget {
 public:
  BadFrameBudget(const core::Limits& limits, const core::Clock& clock)
      : clock_(clock), bucket_(limits.bad_frame_burst, limits.bad_frame_refill, clock.Now()) {}

  // Counts one bad frame (`what` names it for the log); returns false if it closed `connection`.
  bool Charge(Connection& connection, std::string_view what);

 private:
  const core::Clock& clock_;
  core::TokenBucket bucket_;
};

}  // namespace sig::edge
