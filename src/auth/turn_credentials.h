#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/mutex.h"

namespace sig::auth {

// One TURN credential in the coturn REST scheme (draft-uberti-behave-turn-rest-00, coturn's
// use-auth-secret): username "<expiry unix seconds>:<user>", password the standard, padded
// base64 of HMAC-SHA1(secret, username), the secret's text bytes as the key.
struct TurnCredential {
  std::string username;
  std::string password;
  absl::Time expires;
};

// The password for `username` under `secret`.
std::string TurnPassword(std::string_view secret, std::string_view username);

// Mints TURN credentials for peers that logged in (td's login_success, GET /turn-credentials),
// so that peers behind symmetric NATs can relay through the operator's coturn without the
// application running its own credential service. Thread-safe; the secret can be swapped
// (SIGHUP) while credentials are minted: rotate by giving coturn the new secret beside the old
// one, switching sigd to it, and dropping the old one from coturn after the TTL.
class TurnIssuer {
 public:
  struct Options {
    std::string secret;             // coturn's static-auth-secret
    std::vector<std::string> uris;  // turn: / turns: URIs
    absl::Duration ttl = absl::Hours(1);
  };
  explicit TurnIssuer(Options options);

  // A credential for `user` (the td name or PeerJS id, or "anonymous"), valid until now + ttl.
  TurnCredential Mint(std::string_view user, absl::Time now) const ABSL_LOCKS_EXCLUDED(mu_);
  // The RTCIceServer JSON array ([{"urls":[...],"username":...,"credential":...}]) of `c`.
  std::string IceServersJson(const TurnCredential& c) const;
  // GET /turn-credentials's body: the draft's {username, password, ttl, uris}, plus the same as
  // iceServers, ready for new RTCPeerConnection({iceServers}) or new Peer(id, {config}).
  std::string RestJson(const TurnCredential& c) const;

  void ReplaceSecret(std::string secret) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Duration ttl() const { return options_.ttl; }

 private:
  Options options_;  // secret guarded by mu_
  mutable core::Mutex mu_;
  std::string secret_ ABSL_GUARDED_BY(mu_);
};

// Reads a TURN_URIS list: comma-separated, each starting with "turn:" or "turns:".
bool ParseTurnUris(std::string_view list, std::vector<std::string>* uris, std::string* error);

}  // namespace sig::auth
