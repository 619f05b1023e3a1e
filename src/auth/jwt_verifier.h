#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "auth/key_set.h"
#include "auth/token_verifier.h"
#include "core/mutex.h"

namespace sig::auth {

struct JwtOptions {
  std::string audience;  // JWT_AUDIENCE: when set, `aud` must name it
  absl::Duration leeway = absl::Seconds(30);
  std::size_t max_bytes = 2048;
};

// Verifies compact JWS tokens (RFC 7515/7519) on OpenSSL and Boost.JSON; no JWT library, since
// Debian's accept expired tokens or trust the header's alg (docs/security.md, "Tokens"). The
// rules, in order: at most max_bytes; three parts of canonical unpadded base64url (padding and
// non-zero trailing bits refused, so a token has one spelling); a header object whose `alg` is
// exactly the algorithm its `kid` is pinned to, no `crit`, `typ` absent or "JWT"; the signature;
// only then the claims: `sub` and `room` non-empty strings, `exp` an integer, `nbf` an integer
// and `iat` an integer if present, `aud` a string or an array of strings if present, and naming
// the audience if one is configured. Times are compared with the leeway.
class JwtVerifier final : public TokenVerifier {
 public:
  JwtVerifier(JwtOptions options, std::shared_ptr<const KeySet> keys);

  bool enabled() const override { return true; }
  Verification Verify(std::string_view token, absl::Time now) const override;

  // Swaps in another key set (SIGHUP, the admin RPC); verifications under way finish with the
  // set they began with.
  void Replace(std::shared_ptr<const KeySet> keys) ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const KeySet> keys() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const JwtOptions options_;
  mutable core::Mutex mu_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
};

// Strict unpadded base64url (RFC 7515 section 2): the decoded bytes, or nothing if `in` is not
// the one canonical encoding of them.
bool DecodeBase64Url(std::string_view in, std::string* out);
std::string EncodeBase64Url(std::string_view in);

// A compact HS256 token of `payload_json` under `key` (header {"alg":"HS256","typ":"JWT",
// "kid":...}): for sigctl token mint and tests. Empty if the key is not HS256.
std::string MintHs256(const VerificationKey& key, std::string_view payload_json);

}  // namespace sig::auth
