#include "auth/turn_credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <utility>

#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/strings.h"

namespace sig::auth {
namespace {

// A JSON string literal of `s`.
std::string Quote(std::string_view s) {
  return boost::json::serialize(boost::json::string_view(s.data(), s.size()));
}

std::string UrisJson(const std::vector<std::string>& uris) {
  std::string out = "[";
  for (const std::string& uri : uris) {
    if (out.size() > 1) out.push_back(',');
    out += Quote(uri);
  }
  out.push_back(']');
  return out;
}

}  // namespace

std::string TurnPassword(std::string_view secret, std::string_view username) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac, &length);
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(mac), length));
}

TurnIssuer::TurnIssuer(Options options)
    : options_(std::move(options)), secret_(std::move(options_.secret)) {
  options_.secret.clear();
}

TurnCredential TurnIssuer::Mint(std::string_view user, absl::Time now) const {
  TurnCredential c;
  c.expires = absl::FromUnixSeconds(absl::ToUnixSeconds(now + options_.ttl));
  c.username = core::StrCat(absl::ToUnixSeconds(c.expires), ":", user);
  core::MutexLock lock(&mu_);
  c.password = TurnPassword(secret_, c.username);
  return c;
}

std::string TurnIssuer::IceServersJson(const TurnCredential& c) const {
  return core::StrCat(R"([{"urls":)", UrisJson(options_.uris), R"(,"username":)", Quote(c.username),
                      R"(,"credential":)", Quote(c.password), "}]");
}

std::string TurnIssuer::RestJson(const TurnCredential& c) const {
  return core::StrCat(R"({"username":)", Quote(c.username), R"(,"password":)", Quote(c.password),
                      R"(,"ttl":)", absl::ToInt64Seconds(options_.ttl), R"(,"uris":)",
                      UrisJson(options_.uris), R"(,"iceServers":)", IceServersJson(c), "}");
}

void TurnIssuer::ReplaceSecret(std::string secret) {
  core::MutexLock lock(&mu_);
  secret_ = std::move(secret);
}

bool ParseTurnUris(std::string_view list, std::vector<std::string>* uris, std::string* error) {
  uris->clear();
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(list.data(), list.size()), ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    if (!absl::StartsWith(part, "turn:") && !absl::StartsWith(part, "turns:")) {
      *error = core::StrCat("not a turn: or turns: URI: ", core::ToStd(part));
      return false;
    }
    uris->emplace_back(part);
  }
  if (uris->empty()) {
    *error = "no URI";
    return false;
  }
  return true;
}

}  // namespace sig::auth
