#pragma once

#include <array>
#include <cstdint>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace sig::core {

// A message type, numbered by its protocol's FrameTypeTable (which lives with the protocol's
// codec); the counters keep one slot per number, so what clients write can never grow the number
// of metric series. Every table starts with these two.
using FrameType = std::uint8_t;
inline constexpr FrameType kOtherFrameType = 0;    // a type not in the table
inline constexpr FrameType kInvalidFrameType = 1;  // a frame without a usable type
inline constexpr std::size_t kMaxFrameTypes = 24;

// One protocol's message types: their names (lower case: the `type` label of the frame
// counters) and the case-insensitive classification of a type as a client wrote it.
class FrameTypeTable {
 public:
  static constexpr std::size_t kLongestName = 24;

  // names[kOtherFrameType] is "other", names[kInvalidFrameType] "invalid"; at most
  // kMaxFrameTypes names of at most kLongestName characters. `names` must outlive the table.
  constexpr explicit FrameTypeTable(std::span<const std::string_view> names) : names_(names) {
    for (std::size_t i = kInvalidFrameType + 1; i < names.size(); ++i) {
      const std::size_t n = names[i].size();
      by_length_[n][count_[n]++] = static_cast<FrameType>(i);
    }
  }

  // "OFFER" and "offer" are the same type. Empty is kInvalidFrameType; anything unlisted is
  // kOtherFrameType, so a client cannot claim "invalid" by naming it.
  FrameType Classify(std::string_view type) const;

  std::span<const std::string_view> names() const { return names_; }

 private:
  std::span<const std::string_view> names_;
  // Names grouped by length, so a type is compared to one or two candidates at most.
  std::array<std::array<FrameType, kMaxFrameTypes>, kLongestName + 1> by_length_{};
  std::array<std::uint8_t, kLongestName + 1> count_{};
};

// Nanoseconds on this process's monotonic clock; only differences are meaningful.
std::int64_t MonotonicNanos();

// An encoded frame, immutable once made.
struct EncodedFrame {
  std::string bytes;
  FrameType type = kOtherFrameType;
  // MonotonicNanos() when the frame this one relays was read from its sender; 0 for frames the
  // server originates. The relay latency histogram measures from it.
  std::int64_t received_ns = 0;
};

// Shared, not copied: a broadcast is encoded once and every recipient's queue holds the same one.
using Frame = std::shared_ptr<const EncodedFrame>;

inline Frame MakeFrame(std::string bytes, FrameType type, std::int64_t received_ns = 0) {
  return std::make_shared<const EncodedFrame>(EncodedFrame{std::move(bytes), type, received_ns});
}

}  // namespace sig::core
