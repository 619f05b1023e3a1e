#pragma once

#include <string_view>

namespace sig::edge {

// The page served at GET /demo: a small video call. It logs in with the td protocol, and
// everyone in the room calls everyone else (a mesh of RTCPeerConnections with camera,
// microphone and a chat data channel, with the ICE servers sigd offers), negotiated through
// sigd. States: joining, in the call, name taken, reconnecting, disconnected. Self-contained
// HTML, no assets; tests/e2e/demo.test.mjs runs three of them with fake media.
std::string_view DemoPage();

}  // namespace sig::edge
