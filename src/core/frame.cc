#include "core/frame.h"

#include <algorithm>
#include <chrono>

namespace sig::core {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return Lower(x) == y; });
}

}  // namespace

FrameType ClassifyFrameType(std::string_view type) {
  if (type.empty()) return FrameType::kInvalid;
  for (std::size_t i = 0; i < Index(FrameType::kOther); ++i) {
    if (EqualsIgnoreCase(type, kFrameTypeNames[i])) return static_cast<FrameType>(i);
  }
  return FrameType::kOther;
}

std::int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sig::core
