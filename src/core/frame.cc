#include "core/frame.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>


namespace sig::core {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr std::size_t kLongestTypeName = 17;  // "peer_disconnected"
static_assert(std::all_of(kFrameTypeNames.begin(), kFrameTypeNames.end(),
                          [](std::string_view name) { return name.size() <= kLongestTypeName; }));

}  // namespace

// Runs twice per relayed message (counting in, routing). The names are few and short, so they
// are grouped by length and compared case-insensitively, most often to one or two candidates;
// this costs about a third of a hash lookup of the lowercased name (callgrind).
FrameType ClassifyFrameType(std::string_view type) {
  struct ByLength {
    std::array<std::array<std::uint8_t, kFrameTypeNames.size()>, kLongestTypeName + 1> index{};
    std::array<std::uint8_t, kLongestTypeName + 1> count{};
  };
  static constexpr ByLength kByLength = [] {
    ByLength t;
    for (std::size_t i = 0; i < static_cast<std::size_t>(FrameType::kOther); ++i) {
      const std::size_t n = kFrameTypeNames[i].size();
      t.index[n][t.count[n]++] = static_cast<std::uint8_t>(i);
    }
    return t;
  }();
  if (type.empty()) return FrameType::kInvalid;
  if (type.size() > kLongestTypeName) return FrameType::kOther;
  for (std::size_t k = 0; k < kByLength.count[type.size()]; ++k) {
    const std::uint8_t i = kByLength.index[type.size()][k];
    if (std::equal(type.begin(), type.end(), kFrameTypeNames[i].begin(),
                   [](char a, char b) { return Lower(a) == b; })) {
      return static_cast<FrameType>(i);
    }
  }
  return FrameType::kOther;
}

std::int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sig::core
