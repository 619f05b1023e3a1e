#pragma once

#include "absl/functional/any_invocable.h"
#include "core/directory.h"
#include "core/router.h"
#include "edge/protocol.h"

namespace sig::edge {

// Claims `request`'s name for `connection` through `router`, and runs `on_claimed` with the
// result on the connection's executor (at once when the directory decides at once, as the
// in-memory one does). If the connection is gone by the time a claim succeeds, the name is
// released and `on_claimed` never runs.
void JoinOnConnection(Connection& connection, core::Router& router, core::ClaimRequest request,
                      absl::AnyInvocable<void(core::ClaimResult) &&> on_claimed);

// The debug log line of a login that succeeded (a td login, a PeerJS open).
void LogJoined(const Connection& connection, core::Protocol protocol, std::string_view realm,
               std::string_view name);

}  // namespace sig::edge
