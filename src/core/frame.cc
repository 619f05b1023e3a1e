#include "core/frame.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>


namespace sig::core {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

// Runs once per frame read and once per frame written. The names are few and short, so they
// are grouped by length and compared case-insensitively, most often to one or two candidates;
// this costs about a third of a hash lookup of the lowercased name (callgrind).
FrameType FrameTypeTable::Classify(std::string_view type) const {
  if (type.empty()) return kInvalidFrameType;
  if (type.size() > kLongestName) return kOtherFrameType;
  for (std::size_t k = 0; k < count_[type.size()]; ++k) {
    const FrameType i = by_length_[type.size()][k];
    if (std::equal(type.begin(), type.end(), names_[i].begin(),
                   [](char a, char b) { return Lower(a) == b; })) {
      return i;
    }
  }
  return kOtherFrameType;
}

std::int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sig::core
