#include "bus/keys.h"

#include "absl/strings/str_cat.h"
#include "core/strings.h"

namespace sig::bus {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

std::string RealmTag(std::string_view realm) {
  return core::StrCat("sig:{", EncodeKeyPart(realm), "}:");
}

}  // namespace

std::string EncodeKeyPart(std::string_view part) {
  std::string out;
  out.reserve(part.size());
  for (const char c : part) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '{' || c == '}' || c == '|' || c == '%') {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string RealmOfChannel(std::string_view channel) {
  constexpr std::string_view kPrefix = "sig:{";
  constexpr std::string_view kSuffix = "}:ch";
  if (!channel.starts_with(kPrefix) || !channel.ends_with(kSuffix)) return {};
  const std::string_view encoded =
      channel.substr(kPrefix.size(), channel.size() - kPrefix.size() - kSuffix.size());
  std::string realm;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      const auto hex = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
      realm.push_back(static_cast<char>(hex(encoded[i + 1]) * 16 + hex(encoded[i + 2])));
      i += 2;
    } else {
      realm.push_back(encoded[i]);
    }
  }
  return realm;
}

std::string NodeKey(std::uint64_t node) { return absl::StrCat("sig:node:", node); }

std::string NodeNamesKey(std::uint64_t node) { return absl::StrCat("sig:node:", node, ":names"); }

std::string NameKey(std::string_view realm, std::string_view name) {
  return core::StrCat(RealmTag(realm), "n:", EncodeKeyPart(name));
}

std::string MembersKey(std::string_view realm) { return core::StrCat(RealmTag(realm), "m"); }

std::string RealmChannel(std::string_view realm) { return core::StrCat(RealmTag(realm), "ch"); }

}  // namespace sig::bus
