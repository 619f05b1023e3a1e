#include "core/stats.h"

#include <algorithm>
#include <cctype>

namespace sig::core {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::size_t Stats::Lookup(std::span<const std::string_view> names, std::string_view name) {
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    if (EqualsIgnoreCase(names[i], name)) return i;
  }
  return names.size() - 1;
}

void Stats::CountRejection(Protocol p, std::string_view reason) {
  Add(rejections_[Index(p)][Lookup(kRejections, reason)]);
}

void Stats::CountFrameIn(Protocol p, std::string_view type, std::size_t bytes) {
  // "invalid" (the last entry) only for frames without a usable type; unknown types are "other".
  const std::size_t t = type.empty() ? kTypes.size() - 1
                                     : std::min(Lookup(kTypes, type), kTypes.size() - 2);
  Add(frames_in_[Index(p)][t]);
  Add(bytes_in_, bytes);
  std::size_t b = 0;
  while (b < kSizeBuckets.size() && static_cast<double>(bytes) > kSizeBuckets[b]) ++b;
  Add(size_buckets_[b]);
}

void Stats::CountFrameOut(std::size_t bytes) {
  Add(frames_out_);
  Add(bytes_out_, bytes);
}

void Stats::CountBadFrame(Protocol p, std::string_view reason) {
  Add(bad_frames_[Index(p)][Lookup(kBadFrames, reason)]);
}

void Stats::CountRelayFailure(std::string_view reason) {
  Add(relay_failures_[Lookup(kRelayFailures, reason)]);
}

void Stats::CountClose(std::uint16_t code) {
  const auto* it = std::find(kCloseCodes.begin(), kCloseCodes.end(), code);
  Add(closes_[static_cast<std::size_t>(it - kCloseCodes.begin())]);
}

}  // namespace sig::core
