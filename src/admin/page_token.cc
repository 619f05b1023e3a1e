#include "admin/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/strings.h"

namespace sig::admin {
namespace {

constexpr absl::string_view kVersion = "p2";

// FNV-1a over the filter's fields, each length-prefixed so ("ab","") and ("a","b") differ.
// Stable across processes, unlike absl::Hash, so a token survives nothing but a filter change.
std::uint64_t Fingerprint(const core::PeerFilter& filter) {
  std::uint64_t hash = 14695981039346656037ull;
  const auto mix = [&hash](std::string_view bytes) {
    for (const char c : absl::StrCat(bytes.size(), ":")) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
    for (const char c : bytes) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  };
  mix(filter.protocol ? core::ProtocolName(*filter.protocol) : "");
  mix(filter.realm);
  mix(filter.name_prefix);
  return hash;
}

}  // namespace

std::string EncodePageToken(PagePosition after, const core::PeerFilter& filter) {
  return absl::WebSafeBase64Escape(absl::StrCat(kVersion, ".", after.node, ".", after.conn_id,
                                                ".", absl::Hex(Fingerprint(filter))));
}

absl::StatusOr<PagePosition> DecodePageToken(std::string_view token,
                                              const core::PeerFilter& filter) {
  std::string plain;
  const absl::Status invalid = absl::InvalidArgumentError("page_token is not one this server issued");
  if (!absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &plain)) {
    return invalid;
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(plain, '.');
  PagePosition after;
  std::uint64_t fingerprint = 0;
  if (parts.size() != 4 || parts[0] != kVersion || !absl::SimpleAtoi(parts[1], &after.node) ||
      !absl::SimpleAtoi(parts[2], &after.conn_id) ||
      !absl::SimpleHexAtoi(parts[3], &fingerprint)) {
    return invalid;
  }
  if (fingerprint != Fingerprint(filter)) {
    return absl::InvalidArgumentError("page_token was issued for a different filter");
  }
  return after;
}

}  // namespace sig::admin
