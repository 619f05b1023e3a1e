#include "auth/jwt_verifier.h"

#include <cstdint>
#include <optional>
#include <utility>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "absl/strings/escaping.h"
#include "core/strings.h"

namespace sig::auth {
namespace json = boost::json;
namespace {

// A JSON object from base64url `part`, or nothing.
std::optional<json::object> DecodeObject(std::string_view part, json::storage_ptr storage) {
  std::string text;
  if (!DecodeBase64Url(part, &text)) return std::nullopt;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, std::move(storage));
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// A NumericDate: an integer number of seconds (fractions are refused, so are strings).
std::optional<absl::Time> Date(const json::value& value) {
  if (value.is_int64()) return absl::FromUnixSeconds(value.get_int64());
  if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return absl::FromUnixSeconds(static_cast<std::int64_t>(value.get_uint64()));
  }
  return std::nullopt;
}

// A non-empty string member, or nothing.
std::optional<std::string_view> Text(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string() || value->get_string().empty()) return std::nullopt;
  return std::string_view(value->get_string());
}

Verification Fail(TokenFailure failure) { return Verification{failure, {}}; }

}  // namespace

bool DecodeBase64Url(std::string_view in, std::string* out) {
  // absl decodes padded and unpadded input alike and ignores trailing bits; only the input that
  // its own (unpadded) encoder would write back is taken.
  if (in.empty() || in.size() % 4 == 1) return false;
  if (!absl::WebSafeBase64Unescape(absl::string_view(in.data(), in.size()), out)) return false;
  return absl::WebSafeBase64Escape(*out) == in;
}

std::string EncodeBase64Url(std::string_view in) {
  return absl::WebSafeBase64Escape(absl::string_view(in.data(), in.size()));
}

std::string MintHs256(const VerificationKey& key, std::string_view payload_json) {
  if (key.algorithm() != Algorithm::kHs256) return {};
  json::object header{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", key.kid()}};
  const std::string signed_part = core::StrCat(EncodeBase64Url(json::serialize(header)), ".",
                                               EncodeBase64Url(payload_json));
  return core::StrCat(signed_part, ".", EncodeBase64Url(key.Sign(signed_part)));
}

JwtVerifier::JwtVerifier(JwtOptions options, std::shared_ptr<const KeySet> keys)
    : options_(std::move(options)), keys_(std::move(keys)) {}

void JwtVerifier::Replace(std::shared_ptr<const KeySet> keys) {
  core::MutexLock lock(&mu_);
  keys_ = std::move(keys);
}

std::shared_ptr<const KeySet> JwtVerifier::keys() const {
  core::MutexLock lock(&mu_);
  return keys_;
}

Verification JwtVerifier::Verify(std::string_view token, absl::Time now) const {
  if (token.empty()) return Fail(TokenFailure::kMissing);
  if (token.size() > options_.max_bytes) return Fail(TokenFailure::kTooLarge);
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Fail(TokenFailure::kMalformed);
  }
  const std::string_view header_part = token.substr(0, first);
  const std::string_view payload_part = token.substr(first + 1, second - first - 1);
  const std::string_view signature_part = token.substr(second + 1);
  std::string signature;
  if (!DecodeBase64Url(signature_part, &signature)) return Fail(TokenFailure::kMalformed);

  // Everything parsed lives in one buffer sized by the token's bound, freed at once.
  unsigned char buffer[4096];
  json::monotonic_resource resource(buffer, sizeof(buffer));
  std::optional<json::object> header = DecodeObject(header_part, &resource);
  if (!header) return Fail(TokenFailure::kMalformed);
  const json::value* kid = header->if_contains("kid");
  if (kid != nullptr && !kid->is_string()) return Fail(TokenFailure::kMalformed);
  const std::shared_ptr<const KeySet> keys = this->keys();
  const VerificationKey* key =
      keys->Find(kid != nullptr ? std::string_view(kid->get_string()) : std::string_view());
  if (key == nullptr) return Fail(TokenFailure::kUnknownKey);
  const json::value* alg = header->if_contains("alg");
  const json::value* typ = header->if_contains("typ");
  if (alg == nullptr || !alg->is_string() || alg->get_string() != Name(key->algorithm()) ||
      header->contains("crit") ||
      (typ != nullptr && (!typ->is_string() || typ->get_string() != "JWT"))) {
    return Fail(TokenFailure::kAlgorithm);
  }
  if (!key->Verifies(token.substr(0, second), signature)) return Fail(TokenFailure::kSignature);

  // Signed by a key we trust: only now are the claims read.
  std::optional<json::object> claims = DecodeObject(payload_part, &resource);
  if (!claims) return Fail(TokenFailure::kMalformed);
  const std::optional<std::string_view> sub = Text(*claims, "sub");
  // room may be empty: td's default room.
  const json::value* room_value = claims->if_contains("room");
  const std::optional<std::string_view> room =
      room_value != nullptr && room_value->is_string()
          ? std::optional<std::string_view>(room_value->get_string())
          : std::nullopt;
  const json::value* exp_value = claims->if_contains("exp");
  const std::optional<absl::Time> exp = exp_value ? Date(*exp_value) : std::nullopt;
  if (!sub || !room || !exp) return Fail(TokenFailure::kClaims);
  std::optional<absl::Time> nbf;
  if (const json::value* v = claims->if_contains("nbf")) {
    if (!(nbf = Date(*v))) return Fail(TokenFailure::kClaims);
  }
  std::optional<absl::Time> iat;
  if (const json::value* v = claims->if_contains("iat")) {
    if (!(iat = Date(*v))) return Fail(TokenFailure::kClaims);
  }
  if (const json::value* aud = claims->if_contains("aud")) {
    bool named = false;
    if (aud->is_string()) {
      named = aud->get_string() == options_.audience;
    } else if (aud->is_array()) {
      for (const json::value& each : aud->get_array()) {
        if (!each.is_string()) return Fail(TokenFailure::kClaims);
        named = named || each.get_string() == options_.audience;
      }
    } else {
      return Fail(TokenFailure::kClaims);
    }
    if (!options_.audience.empty() && !named) return Fail(TokenFailure::kAudience);
  } else if (!options_.audience.empty()) {
    return Fail(TokenFailure::kAudience);
  }
  if (now > *exp + options_.leeway) return Fail(TokenFailure::kExpired);
  if (nbf && now + options_.leeway < *nbf) return Fail(TokenFailure::kNotYetValid);

  Verification verified;
  verified.identity.subject = std::string(*sub);
  verified.identity.room = std::string(*room);
  verified.identity.expires = *exp;
  verified.identity.issued = iat ? *iat : (nbf ? *nbf : absl::InfinitePast());
  return verified;
}

}  // namespace sig::auth
