#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sig::core {

// Message types of both protocols in both directions, for per-type counters. A fixed list, so
// what clients write can never grow the number of metric series.
enum class FrameType : std::uint8_t {
  kLogin,
  kPing,
  kHeartbeat,
  kOffer,
  kAnswer,
  kCandidate,
  kLeave,
  kExpire,
  kStreamStarted,
  kStreamStopped,
  kStreamRestored,
  kPageOpened,
  kLoginSuccess,
  kPong,
  kError,
  kPeerConnected,
  kPeerDisconnected,
  kOpen,
  kIdTaken,
  kOther,    // a type not in this list
  kInvalid,  // a frame without a usable type
};
inline constexpr std::array<std::string_view, 21> kFrameTypeNames = {
    "login",          "ping",           "heartbeat",       "offer",         "answer",
    "candidate",      "leave",          "expire",          "stream_started", "stream_stopped",
    "stream_restored", "page_opened",   "login_success",   "pong",          "error",
    "peer_connected", "peer_disconnected", "open",         "id-taken",      "other",
    "invalid"};

// The FrameType of a type as a client wrote it, case-insensitively ("OFFER" is kOffer). Empty is
// kInvalid; anything unlisted is kOther, so a client cannot claim "invalid" by naming it.
FrameType ClassifyFrameType(std::string_view type);

inline std::size_t Index(FrameType type) { return static_cast<std::size_t>(type); }

// Nanoseconds on this process's monotonic clock; only differences are meaningful.
std::int64_t MonotonicNanos();

// An encoded frame, immutable once made.
struct EncodedFrame {
  std::string bytes;
  FrameType type = FrameType::kOther;
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
