#include "edge/bad_frame_budget.h"

#include "core/log.h"

namespace sig::edge {

bool BadFrameBudget::Charge(Connection& connection, std::string_view what) {
  if (bucket_.TryTake(clock_.Now())) return true;
  core::LogDebug("conn ", connection.id(), ": too many bad frames, closing (last: ", what, ")");
  connection.Disconnect(core::CloseCode::kPolicy, "too many bad frames",
                        core::DisconnectReason::kBadInput);
  return false;
}

}  // namespace sig::edge
