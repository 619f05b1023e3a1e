#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/protocol.h"

namespace sig::edge {

// PeerJS settings that are not limits (those are in core::Limits). README "PeerJS".
struct PeerJsOptions {
  // Mount point. Normalized by Normalize(): "" for "/", otherwise "/a/b" with no trailing slash.
  std::string path_prefix = "/peerjs";
  std::string key = "peerjs";
  bool allow_discovery = false;
  // Origins allowed by CORS; empty reflects any Origin, as peerjs-server does by default.
  std::vector<std::string> cors_origins;

  // "/peerjs/" -> "/peerjs", "/" -> "", "x" -> "/x".
  static std::string NormalizePrefix(std::string_view prefix);
  // The WebSocket endpoint, "{prefix}/peerjs".
  std::string WebSocketPath() const { return path_prefix + "/peerjs"; }
  // The realm PeerJS peers of `key` live in.
  static std::string Realm(std::string_view key) {
    return core::RealmOf(sig::v1::PROTOCOL_PEERJS, key);
  }
};

}  // namespace sig::edge
