#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/frame.h"
#include "core/limits.h"
#include "core/outcome.h"
#include "core/peer.h"

namespace sig::edge {

// PeerJS's message types, client and server, numbered for the frame counters. The labels are
// lower case, as the wire's types are matched case-insensitively.
struct PeerJsType {
  enum : core::FrameType {
    kOther = core::kOtherFrameType,
    kInvalid = core::kInvalidFrameType,
    kHeartbeat,
    kOffer,
    kAnswer,
    kCandidate,
    kLeave,
    kExpire,
    kOpen,
    kIdTaken,
    kError,
    kCount,
  };
};
inline constexpr std::array<std::string_view, PeerJsType::kCount> kPeerJsTypeNames = {
    "other", "invalid", "heartbeat", "offer", "answer", "candidate",
    "leave", "expire",  "open",      "id-taken", "error"};
static_assert(kPeerJsTypeNames.size() <= core::kMaxFrameTypes);
inline constexpr core::FrameTypeTable kPeerJsTypes{kPeerJsTypeNames};

// What one PeerJS client frame asks for (docs: PeerJS protocol, section 5).
struct PeerJsCommand {
  enum class Kind {
    kHeartbeat,
    kRelay,    // type, dst, frame (re-encoded with src); hold says whether to hold for absent dst
    kIgnored,  // a well-formed frame the server drops (unknown type, relay without dst)
    kBad,      // not a JSON object with a string type; `bad_frame` says why
  };
  Kind kind = Kind::kBad;
  std::string type;
  std::string dst;
  std::string frame;
  bool hold = false;
  core::BadFrame bad_frame = core::BadFrame::kInvalidMessage;
};

// The PeerJS protocol's JSON: decoding client frames and encoding server frames. Stateless and
// thread-safe; the router's NoticeEncoder for PeerJS realms (EXPIRE; no join/leave notices).
class PeerJsCodec final : public core::NoticeEncoder {
 public:
  explicit PeerJsCodec(const core::Limits& limits) : limits_(limits) {}

  // Decodes a frame from the peer registered as `src`. A relayed frame is rebuilt as
  // {"type","src","dst","payload"} in that order, as peerjs-server does, with the payload's
  // text verbatim and src set to `src` whatever the client wrote.
  PeerJsCommand Decode(std::string_view text, std::string_view src) const;

  static std::string Open();
  static std::string Error(std::string_view message);
  static std::string IdTaken();

  core::Frame PeerJoined(std::string_view) const override { return nullptr; }
  core::Frame PeerLeft(std::string_view) const override { return nullptr; }
  // {"type":"EXPIRE","src":absent,"dst":sender}: the client reports peer-unavailable.
  core::Frame Expired(std::string_view absent, std::string_view sender) const override;

 private:
  const core::Limits& limits_;
};

}  // namespace sig::edge
