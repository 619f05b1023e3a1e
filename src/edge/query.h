#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace sig::edge {

// The query parameters of a request target ("/path?a=1&b=x+y"), decoded the way browsers'
// URLSearchParams does: percent-decoding, '+' as a space, and the last of duplicates winning.
// A target Boost.URL cannot parse (bad percent-encoding, say) has no parameters.
absl::flat_hash_map<std::string, std::string> ParseQuery(std::string_view target);

// The target without its query.
std::string_view TargetPath(std::string_view target);

}  // namespace sig::edge
