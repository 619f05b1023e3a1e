#pragma once

#include "edge/edge_context.h"
#include "edge/socket.h"

namespace sig::edge {

// Serves HTTP on an accepted socket: GET /health, and WebSocket upgrades handed to a WsSession
// with the protocol the path selects (README "HTTP endpoints"). Keeps the connection alive across
// requests; every request must arrive whole within limits.http_timeout.
// Which listener a connection came in on: the public one, or METRICS_ADDR's, which serves
// GET /metrics alone, in plain HTTP (for a scraper on a private interface).
enum class HttpRole { kPublic, kMetrics };

void StartHttpSession(Socket socket, EdgeContext& state, HttpRole role = HttpRole::kPublic);

}  // namespace sig::edge
