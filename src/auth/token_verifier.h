#pragma once

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "core/outcome.h"

namespace sig::auth {

// Who a verified access token says its bearer is. Empty (anonymous) while auth is off.
struct Identity {
  std::string subject;  // the td name / PeerJS id the bearer may take
  std::string room;     // the td room / PeerJS key it may take it in
  absl::Time expires = absl::InfiniteFuture();
  // When the token was minted (`iat`), or its not-before time, or InfinitePast: of two tokens
  // for one subject, the later one replaces the earlier one's session.
  absl::Time issued = absl::InfinitePast();

  bool anonymous() const { return subject.empty(); }
};

using core::IsExpiry;
using core::TokenFailure;

// The outcome of checking one token.
struct Verification {
  TokenFailure failure = TokenFailure::kNone;
  Identity identity;  // set when failure is kNone

  bool ok() const { return failure == TokenFailure::kNone; }
};

// Checks an access token. The protocols ask it once per login (td: the login message's
// `token`; PeerJS: the `token` query parameter), after the name's syntax and before the name is
// claimed, so that an anonymous client cannot probe who is online.
//
// Implementations are thread-safe: every I/O thread asks the same one.
class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;

  // Whether tokens are checked at all. While not, every login is anonymous.
  virtual bool enabled() const = 0;

  // What `token` proves at `now`.
  virtual Verification Verify(std::string_view token, absl::Time now) const = 0;
};

// Auth off: tokens are not checked, and a connection is anonymous whatever it presents (the
// PeerJS token is then only the reconnect secret it always was).
class NoTokenVerifier final : public TokenVerifier {
 public:
  bool enabled() const override { return false; }
  Verification Verify(std::string_view, absl::Time) const override { return {}; }
};

}  // namespace sig::auth
