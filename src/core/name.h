#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace sig::core {

// Checks a peer name or room name: valid UTF-8 of 1 to `max_chars` Unicode code points, none of
// them a control character (U+0000-U+001F, U+007F-U+009F). Counting code points, not bytes or
// UTF-16 units, makes the limit the same for every script. InvalidArgument says what is wrong.
absl::Status ValidateName(std::string_view name, std::size_t max_chars);

}  // namespace sig::core
