#pragma once

#include "absl/status/status.h"
#include "edge/http_router.h"

namespace sig::edge {

// What RFC 6455 section 4.2.1 asks of a WebSocket opening handshake beyond what Beast's accept
// checks: exactly one Upgrade header and exactly one Sec-WebSocket-Key, and the key the base64
// form of 16 bytes (22 characters of the base64 alphabet and "=="). InvalidArgument says what
// is wrong; the server answers 400 before any WebSocket state exists. Pure, so unit-tested.
absl::Status CheckUpgradeRequest(const HttpRequest& request);

}  // namespace sig::edge
