#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace sig::testing {

// Runs the real `promtool check metrics` (installed by tools/setup --test) on `exposition`; an
// error carries what promtool said.
absl::Status PromtoolCheck(std::string_view exposition);

}  // namespace sig::testing
