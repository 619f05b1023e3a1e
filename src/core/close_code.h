#pragma once

#include <cstdint>

namespace sig::core {

// WebSocket close codes the server sends (README "Close codes"). 1000-2999 are RFC 6455's;
// 4000-4999 are the td protocol's own.
enum class CloseCode : std::uint16_t {
  // Not sent on the wire (RFC 6455 reserves 1005 for "no status"): asks for a close frame
  // without a code, which is what peerjs-server sends and what PeerJS clients see as 1005.
  kNoStatus = 1005,
  kNormal = 1000,
  kGoingAway = 1001,        // server shutting down
  kProtocolError = 1002,    // a frame that breaks RFC 6455
  kUnsupportedData = 1003,  // binary frame
  kInvalidPayload = 1007,   // text frame that is not UTF-8
  kPolicy = 1008,           // repeated bad input
  kTooBig = 1009,           // frame over max_frame_bytes
  kServiceRestart = 1012,   // draining
  kTryAgainLater = 1013,    // slow consumer: send queue overflowed
  kNameTaken = 4000,
  kInvalidName = 4001,
  kKicked = 4002,           // disconnected by an operator
  kInvalidToken = 4003,     // auth on: the login's token is missing, bad or for someone else
  kTokenExpired = 4004,     // auth on: the login's token has expired (or is not yet valid)
  kReplaced = 4005,         // auth on: a newer login with a valid token took the name over
};

constexpr std::uint16_t ToWire(CloseCode code) { return static_cast<std::uint16_t>(code); }

}  // namespace sig::core
