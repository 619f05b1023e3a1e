#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace sig::core {

// Hashes std::string and std::string_view alike, so maps keyed by std::string are searched with
// a view and no string is built. (absl's own transparent hash takes absl::string_view, which in
// Debian's Abseil is not std::string_view.)
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// A hash map from strings, searched with std::string_view.
template <typename V>
using StringMap = absl::flat_hash_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace sig::core
