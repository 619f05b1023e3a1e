#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "edge/shared_state.h"

namespace sig::edge {

// Serves HTTP on an accepted socket: GET /health, and WebSocket upgrades handed to a WsSession
// with the protocol the path selects (README "HTTP endpoints"). Keeps the connection alive across
// requests; every request must arrive whole within limits.http_timeout.
void StartHttpSession(boost::asio::ip::tcp::socket socket, SharedState& state);

}  // namespace sig::edge
