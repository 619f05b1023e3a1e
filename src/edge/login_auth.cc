#include "edge/login_auth.h"

#include "core/strings.h"

namespace sig::edge {

std::string LoginAuth::takeover_secret() const {
  // A prefix no anonymous token carries: with auth on, every login is authenticated anyway.
  return identity.anonymous() ? std::string() : core::StrCat("\x01jwt\x01", identity.subject);
}

std::optional<std::int64_t> LoginAuth::issued() const {
  if (identity.anonymous() || identity.issued == absl::InfinitePast()) return std::nullopt;
  const std::int64_t seconds = absl::ToUnixSeconds(identity.issued);
  return seconds >= 0 ? std::optional<std::int64_t>(seconds) : std::nullopt;
}

LoginAuth CheckToken(EdgeContext& state, std::string_view token, std::string_view remote_address,
                     absl::FunctionRef<bool(const auth::Identity&)> fits) {
  LoginAuth out;
  const absl::Time now = state.clock.Now();
  if (!state.auth_failures.Allowed(remote_address, now)) {
    out.failure = core::TokenFailure::kMissing;  // not checked; rejection() says why
    out.blocked = true;
    return out;
  }
  auth::Verification verified = state.verifier->Verify(token, now);
  out.failure = verified.failure;
  if (verified.ok() && !fits(verified.identity)) out.failure = core::TokenFailure::kMismatch;
  if (!out.ok()) {
    state.auth_failures.Failed(remote_address, now);
    return out;
  }
  out.identity = std::move(verified.identity);
  return out;
}

LoginAuth CheckLoginToken(EdgeContext& state, core::Protocol protocol, std::string_view token,
                          std::string_view name, std::string_view room,
                          std::string_view remote_address) {
  if (!state.auth_on()) return {};
  LoginAuth out = CheckToken(state, token, remote_address, [&](const auth::Identity& identity) {
    return (name.empty() || identity.subject == name) && identity.room == room;
  });
  if (!out.ok() && !out.blocked) state.stats.CountAuthFailure(protocol, out.failure);
  return out;
}

}  // namespace sig::edge
