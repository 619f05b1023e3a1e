#include "auth/key_set.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "core/strings.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace sig::auth {
namespace {

constexpr std::size_t kMinSecretBytes = 32;
constexpr int kMinRsaBits = 2048;
constexpr std::size_t kEs256SignatureBytes = 64;  // R and S, 32 bytes each (RFC 7518 3.4)

// The DER ECDSA-Sig-Value OpenSSL verifies, from JWS's fixed-size R || S.
std::string EcdsaDer(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (sig == nullptr) return {};
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  std::string der;
  if (r != nullptr && s != nullptr && ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;  // owned by sig now
    unsigned char* out = nullptr;
    const int length = i2d_ECDSA_SIG(sig, &out);
    if (length > 0) der.assign(reinterpret_cast<const char*>(out), static_cast<std::size_t>(length));
    OPENSSL_free(out);
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return der;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length) ==
      nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

}  // namespace

std::string_view Name(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kHs256:
      return "HS256";
    case Algorithm::kRs256:
      return "RS256";
    case Algorithm::kEs256:
      return "ES256";
  }
  return "";
}

VerificationKey::~VerificationKey() {
  OPENSSL_cleanse(secret_.data(), secret_.size());
  EVP_PKEY_free(public_);
}

absl::StatusOr<std::unique_ptr<VerificationKey>> VerificationKey::Hmac(std::string kid,
                                                                       std::string secret) {
  if (secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(core::StrCat("key ", kid, ": an HS256 secret needs at least ",
                                                   kMinSecretBytes, " bytes"));
  }
  std::unique_ptr<VerificationKey> key(new VerificationKey(std::move(kid), Algorithm::kHs256));
  key->secret_ = std::move(secret);
  return key;
}

absl::StatusOr<std::unique_ptr<VerificationKey>> VerificationKey::Public(std::string kid,
                                                                         Algorithm algorithm,
                                                                         std::string_view pem) {
  if (algorithm == Algorithm::kHs256) {
    return absl::InvalidArgumentError(core::StrCat("key ", kid, ": HS256 takes a secret"));
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = bio == nullptr ? nullptr : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(core::StrCat("key ", kid, ": not a PEM public key"));
  }
  std::unique_ptr<VerificationKey> key(new VerificationKey(std::move(kid), algorithm));
  key->public_ = pkey;  // freed by the key from here on
  if (algorithm == Algorithm::kRs256) {
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey) < kMinRsaBits) {
      return absl::InvalidArgumentError(core::StrCat(
          "key ", key->kid_, ": RS256 needs an RSA public key of at least ", kMinRsaBits, " bits"));
    }
  } else {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
        EVP_PKEY_get_group_name(pkey, group, sizeof(group), &length) != 1 ||
        std::string_view(group, length) != "prime256v1") {
      return absl::InvalidArgumentError(
          core::StrCat("key ", key->kid_, ": ES256 needs an EC public key on P-256"));
    }
  }
  return key;
}

bool VerificationKey::Verifies(std::string_view signed_part, std::string_view signature) const {
  if (algorithm_ == Algorithm::kHs256) {
    const std::string expected = HmacSha256(secret_, signed_part);
    return !expected.empty() && signature.size() == expected.size() &&
           CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
  }
  std::string der;
  if (algorithm_ == Algorithm::kEs256) {
    if (signature.size() != kEs256SignatureBytes) return false;
    der = EcdsaDer(signature);
    if (der.empty()) return false;
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, public_) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string VerificationKey::Sign(std::string_view signed_part) const {
  return algorithm_ == Algorithm::kHs256 ? HmacSha256(secret_, signed_part) : std::string();
}

absl::StatusOr<std::shared_ptr<const KeySet>> KeySet::Parse(std::string_view text,
                                                            std::string_view base_dir) {
  auto set = std::make_shared<KeySet>();
  std::set<std::string, std::less<>> seen;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(
          core::StrCat("line ", number, ": expected `kid alg key` (three fields)"));
    }
    std::string& kid = fields[0];
    if (!seen.insert(kid).second) {
      return absl::InvalidArgumentError(core::StrCat("line ", number, ": key ", kid, " twice"));
    }
    absl::StatusOr<std::unique_ptr<VerificationKey>> key;
    if (fields[1] == "HS256") {
      key = VerificationKey::Hmac(kid, std::move(fields[2]));
    } else if (fields[1] == "RS256" || fields[1] == "ES256") {
      std::string path = fields[2];
      if (!path.starts_with('/') && !base_dir.empty()) path = core::StrCat(base_dir, "/", path);
      std::ifstream in(path);
      if (!in) {
        return absl::InvalidArgumentError(
            core::StrCat("line ", number, ": key ", kid, ": cannot read ", path));
      }
      std::ostringstream pem;
      pem << in.rdbuf();
      key = VerificationKey::Public(
          kid, fields[1] == "RS256" ? Algorithm::kRs256 : Algorithm::kEs256, pem.str());
    } else {
      return absl::InvalidArgumentError(core::StrCat(
          "line ", number, ": key ", kid, ": alg must be HS256, RS256 or ES256"));
    }
    if (fields.size() == 3) OPENSSL_cleanse(fields[2].data(), fields[2].size());
    if (!key.ok()) {
      return absl::InvalidArgumentError(core::StrCat("line ", number, ": ", key.status().message()));
    }
    set->keys_.push_back(*std::move(key));
  }
  return set;
}

absl::StatusOr<std::shared_ptr<const KeySet>> KeySet::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(core::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  std::string contents = text.str();
  const std::size_t slash = path.rfind('/');
  auto set = Parse(contents, slash == std::string::npos ? "." : std::string_view(path).substr(0, slash));
  OPENSSL_cleanse(contents.data(), contents.size());
  if (!set.ok()) return absl::InvalidArgumentError(core::StrCat(path, ": ", set.status().message()));
  return set;
}

std::shared_ptr<const KeySet> KeySet::Of(std::vector<std::unique_ptr<VerificationKey>> keys) {
  auto set = std::make_shared<KeySet>();
  set->keys_ = std::move(keys);
  return set;
}

const VerificationKey* KeySet::Find(std::string_view kid) const {
  if (kid.empty()) return keys_.size() == 1 ? keys_.front().get() : nullptr;
  for (const auto& key : keys_) {
    if (key->kid() == kid) return key.get();
  }
  return nullptr;
}

std::vector<std::string> KeySet::kids() const {
  std::vector<std::string> out;
  for (const auto& key : keys_) out.push_back(key->kid());
  return out;
}

}  // namespace sig::auth
