#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/frame.h"
#include "core/limits.h"
#include "core/outcome.h"
#include "core/peer.h"

namespace sig::edge {

// td's message types, client and server, numbered for the frame counters.
struct TdType {
  enum : core::FrameType {
    kOther = core::kOtherFrameType,
    kInvalid = core::kInvalidFrameType,
    kLogin,
    kPing,
    kOffer,
    kAnswer,
    kCandidate,
    kStreamStarted,
    kStreamStopped,
    kStreamRestored,
    kPageOpened,
    kLoginSuccess,
    kPong,
    kError,
    kPeerConnected,
    kPeerDisconnected,
    kCount,
  };
};
inline constexpr std::array<std::string_view, TdType::kCount> kTdTypeNames = {
    "other",           "invalid",        "login",          "ping",
    "offer",           "answer",         "candidate",      "stream_started",
    "stream_stopped",  "stream_restored", "page_opened",   "login_success",
    "pong",            "error",          "peer_connected", "peer_disconnected"};
static_assert(kTdTypeNames.size() <= core::kMaxFrameTypes);
inline constexpr core::FrameTypeTable kTdTypes{kTdTypeNames};

// What one td client frame asks for, after validation.
struct TdCommand {
  enum class Kind {
    kLogin,      // name, room, in their canonical forms (core::CanonicalName); room empty: the default
                 // room; name empty: left out (allowed with a token, whose sub it takes); token
    kPing,
    kRelay,      // type, target, frame
    kBroadcast,  // type, frame
    kBadFrame,   // bad_frame, message: answer with an error frame, keep the connection
    kBadLogin,   // rejection, message: answer with an error frame, then close
  };
  Kind kind = Kind::kBadFrame;
  std::string type;
  std::string name;
  std::string room;
  std::string token;  // login: the access token, if any; never relayed or logged
  std::string target;
  // What recipients get: every member the sender wrote, byte for byte, except any "from", plus
  // "from" set to the sender's name.
  std::string frame;
  core::BadFrame bad_frame = core::BadFrame::kInvalidMessage;
  core::LoginRejection rejection = core::LoginRejection::kInvalidName;
  std::string message;
};

// The td protocol's JSON (README "The td protocol"): decoding client frames into commands, and
// encoding every frame the server sends. Stateless and thread-safe; one instance serves all
// sessions and is the router's NoticeEncoder for td realms.
class TdCodec final : public core::NoticeEncoder {
 public:
  // The message types relayed to every other peer in the realm.
  static bool IsBroadcastType(std::string_view type);

  explicit TdCodec(const core::Limits& limits) : limits_(limits) {}

  // Decodes one text frame from the peer logged in as `sender`; an empty `sender` has not
  // logged in yet (a td name is never empty).
  TdCommand Decode(std::string_view text, std::string_view sender) const;

  // `extra`: more members, written as they are after the others (",\"iceServers\":[...]").
  static std::string LoginSuccess(std::string_view name, const std::vector<std::string>& clients,
                                  std::string_view extra = {});
  static std::string Pong(std::int64_t unix_millis);
  // {"type":"error","error":code,"message":message}
  static std::string Error(std::string_view code, std::string_view message);
  // {"type":"error","error":"target_not_found","target":target,"message":...}
  static std::string TargetNotFound(std::string_view target);

  core::Frame PeerJoined(std::string_view name) const override;
  core::Frame PeerLeft(std::string_view name) const override;
  // td holds nothing for absent peers, so it never reports an expiry.
  core::Frame Expired(std::string_view, std::string_view) const override { return nullptr; }

  // The realm a td room lives in: "td/" for the default room, "td/<room>" otherwise.
  static std::string Realm(std::string_view room);

 private:
  const core::Limits& limits_;
};

}  // namespace sig::edge
