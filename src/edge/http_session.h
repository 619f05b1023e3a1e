#pragma once

#include "edge/edge_context.h"
#include "edge/socket.h"

namespace sig::edge {

// Serves HTTP on an accepted socket: GET /health, and WebSocket upgrades handed to a WsSession
// with the protocol the path selects (README "HTTP endpoints"). Keeps the connection alive across
// requests; every request must arrive whole within limits.http_timeout.
void StartHttpSession(Socket socket, EdgeContext& state);

}  // namespace sig::edge
