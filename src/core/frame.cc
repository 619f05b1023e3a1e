#include "core/frame.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "absl/container/flat_hash_map.h"

namespace sig::core {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr std::size_t kLongestTypeName = 17;  // "peer_disconnected"
static_assert(std::all_of(kFrameTypeNames.begin(), kFrameTypeNames.end(),
                          [](std::string_view name) { return name.size() <= kLongestTypeName; }));

}  // namespace

// Runs twice per relayed message (counting in, routing): one hash lookup of the lowercased
// name, not a scan of the whole list.
FrameType ClassifyFrameType(std::string_view type) {
  static const auto* const kByName = [] {
    auto* map = new absl::flat_hash_map<std::string_view, FrameType>();
    for (std::size_t i = 0; i < Index(FrameType::kOther); ++i) {
      map->emplace(kFrameTypeNames[i], static_cast<FrameType>(i));
    }
    return map;
  }();
  if (type.empty()) return FrameType::kInvalid;
  if (type.size() > kLongestTypeName) return FrameType::kOther;
  std::array<char, kLongestTypeName> lower;
  std::transform(type.begin(), type.end(), lower.begin(), Lower);
  const auto it = kByName->find(std::string_view(lower.data(), type.size()));
  return it == kByName->end() ? FrameType::kOther : it->second;
}

std::int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sig::core
