#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "auth/token_verifier.h"
#include "core/outcome.h"
#include "edge/edge_context.h"

namespace sig::edge {

// What a login's access token decided (EdgeContext::verifier). With auth off every login is
// anonymous and passes.
struct LoginAuth {
  core::TokenFailure failure = core::TokenFailure::kNone;
  auth::Identity identity;  // who the token proves the client is; anonymous with auth off

  bool ok() const { return failure == core::TokenFailure::kNone; }
  bool authenticated() const { return !identity.anonymous(); }
  // What a refused client is told: token_expired for an expiry, else invalid_token.
  bool blocked = false;  // refused unchecked: the address failed too often
  core::LoginRejection rejection() const {
    if (blocked) return core::LoginRejection::kAuthBlocked;
    return core::IsExpiry(failure) ? core::LoginRejection::kTokenExpired
                                   : core::LoginRejection::kInvalidToken;
  }
  // The directory's takeover secret for this identity: any later login with a valid token for
  // the same subject replaces this one's session (a client back from a lost network comes back
  // at once under its name). Empty while anonymous.
  std::string takeover_secret() const;
  // The token's issue time (iat, else nbf) for ClaimRequest::issued: a session that logged in
  // with a newer token is not taken over by an older one.
  std::optional<std::int64_t> issued() const;
};

// The budgeted check behind every token sigd is shown (logins, GET /turn-credentials, the PeerJS
// peer list). Auth must be on. A client address over its failure budget
// (EdgeContext::auth_failures) is refused (`blocked`) before its token is checked; a token that
// fails, or whose identity `fits` refuses (kMismatch), spends from that budget. Counts nothing:
// each caller's metric has labels of its own.
LoginAuth CheckToken(EdgeContext& state, std::string_view token, std::string_view remote_address,
                     absl::FunctionRef<bool(const auth::Identity&)> fits);

// Verifies `token` and checks that it is for `name` in `room` (td: the room; PeerJS: the key),
// with CheckToken's budget.
// An empty `name` takes the token's subject (td's login may leave it out), in which case the
// caller checks the subject's syntax as a name. A failure is counted
// (sig_auth_failures_total{protocol,reason}); the token never reaches a log.
LoginAuth CheckLoginToken(EdgeContext& state, core::Protocol protocol, std::string_view token,
                          std::string_view name, std::string_view room,
                          std::string_view remote_address);

}  // namespace sig::edge
