#pragma once

#include <string_view>

namespace sig::edge {

// The page served at GET /demo: log in with the td protocol, see who else is in the room, and
// chat over a WebRTC data channel negotiated through sigd. Self-contained HTML, no assets.
std::string_view DemoPage();

}  // namespace sig::edge
