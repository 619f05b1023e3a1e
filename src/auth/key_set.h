#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace sig::auth {

// The algorithms a key may be pinned to. The token's header must name exactly its key's.
enum class Algorithm { kHs256, kRs256, kEs256 };
std::string_view Name(Algorithm algorithm);

// One verification key: HS256 with a shared secret, or RS256 / ES256 (P-256) with a public key,
// so that an identity provider can mint tokens without sharing a secret.
class VerificationKey {
 public:
  ~VerificationKey();
  VerificationKey(const VerificationKey&) = delete;
  VerificationKey& operator=(const VerificationKey&) = delete;

  // HS256: `secret` is used as its bytes, and must have at least 32 (RFC 7518 section 3.2).
  static absl::StatusOr<std::unique_ptr<VerificationKey>> Hmac(std::string kid,
                                                               std::string secret);
  // RS256 (an RSA key of at least 2048 bits) or ES256 (an EC key on P-256), from PEM text of a
  // public key (or of a certificate-less "BEGIN PUBLIC KEY" block).
  static absl::StatusOr<std::unique_ptr<VerificationKey>> Public(std::string kid,
                                                                 Algorithm algorithm,
                                                                 std::string_view pem);

  const std::string& kid() const { return kid_; }
  Algorithm algorithm() const { return algorithm_; }
  // Whether `signature` signs `signed_part` (the token's "header.payload") under this key.
  // Constant time in the signature for HS256.
  bool Verifies(std::string_view signed_part, std::string_view signature) const;
  // HS256 only: the signature of `signed_part`, for minting (sigctl token mint, tests).
  std::string Sign(std::string_view signed_part) const;

 private:
  VerificationKey(std::string kid, Algorithm algorithm) : kid_(std::move(kid)), algorithm_(algorithm) {}

  std::string kid_;
  Algorithm algorithm_;
  std::string secret_;         // HS256
  EVP_PKEY* public_ = nullptr;  // RS256, ES256
};

// The keys tokens may be signed with, as JWT_KEYS_FILE lists them. Immutable: a reload builds
// a new set and swaps it in whole, so a verification sees one set or the other.
class KeySet {
 public:
  // Lines of `kid alg key`, `#` comments and blank lines ignored: `HS256` with the secret
  // itself (no spaces), `RS256` / `ES256` with the path of a PEM public key file (relative to
  // `base_dir` unless absolute). Every kid once. An error names the line and what is wrong, and
  // never contains a secret.
  static absl::StatusOr<std::shared_ptr<const KeySet>> Parse(std::string_view text,
                                                             std::string_view base_dir);
  // Reads and parses the file at `path`.
  static absl::StatusOr<std::shared_ptr<const KeySet>> Load(const std::string& path);
  // A set of the given keys (tests, sigctl).
  static std::shared_ptr<const KeySet> Of(std::vector<std::unique_ptr<VerificationKey>> keys);

  // The key `kid` names; with an empty kid, the only key if there is exactly one.
  const VerificationKey* Find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }
  std::vector<std::string> kids() const;

 private:
  std::vector<std::unique_ptr<VerificationKey>> keys_;
};

}  // namespace sig::auth
