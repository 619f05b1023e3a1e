#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sig::auth {

// Who a verified access token says its bearer is. Empty (anonymous) while auth is off.
struct Identity {
  std::string subject;  // the td name / PeerJS id the bearer may take
  std::string room;     // the td room / PeerJS key it may take it in
  absl::Time expires = absl::InfiniteFuture();

  bool anonymous() const { return subject.empty(); }
};

// Checks an access token. The edge asks it once per connection, at admission
// (edge::AdmitUpgrade), before any WebSocket state is spent on the connection.
//
// Implementations are thread-safe: every I/O thread asks the same one.
class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;

  // Whether tokens are checked at all. While not, admission asks nothing and every connection
  // is anonymous.
  virtual bool enabled() const = 0;

  // The identity `token` proves at `now`; Unauthenticated (bad, unknown key, wrong audience) or
  // DeadlineExceeded (expired, not yet valid) otherwise.
  virtual absl::StatusOr<Identity> Verify(std::string_view token, absl::Time now) const = 0;
};

// Auth off: tokens are not checked, and a connection is anonymous whatever it presents (the
// PeerJS token is then only the reconnect secret it always was).
class NoTokenVerifier final : public TokenVerifier {
 public:
  bool enabled() const override { return false; }
  absl::StatusOr<Identity> Verify(std::string_view, absl::Time) const override {
    return Identity{};
  }
};

}  // namespace sig::auth
