#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "gtest/gtest.h"

namespace sig::testing {

// The position of the label `name` in a counter's label table, so a test can read the counter
// by the name an operator sees. Fails the test (and returns 0) for a name not in the table.
inline std::size_t LabelIndex(std::span<const std::string_view> names, std::string_view name) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  ADD_FAILURE() << "no label " << name;
  return 0;
}

}  // namespace sig::testing
