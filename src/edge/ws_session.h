#pragma once

#include <functional>
#include <memory>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "edge/protocol.h"
#include "edge/edge_context.h"
#include "edge/socket.h"

namespace sig::edge {

// Makes the protocol object for a new WebSocket connection from the upgrade's request target.
using ProtocolFactory =
    std::function<std::unique_ptr<Protocol>(Connection&, EdgeContext&, std::string_view target)>;

// Completes the WebSocket handshake for `request` (an upgrade read by HttpSession) on `stream`
// and runs the session until it closes. The session owns itself through its pending handlers,
// and `slot` (its admission) until it is destroyed. `remote_address` is the client's, as
// PeerInfo reports it (ClientAddress::ToString).
void StartWsSession(HttpStream stream,
                    boost::beast::http::request<boost::beast::http::string_body> request,
                    EdgeContext& state, SessionSlot slot, std::string remote_address,
                    const ProtocolFactory& make_protocol);
// The same over TLS (wss://).
void StartWsSession(boost::beast::ssl_stream<boost::beast::tcp_stream> stream,
                    boost::beast::http::request<boost::beast::http::string_body> request,
                    EdgeContext& state, SessionSlot slot, std::string remote_address,
                    const ProtocolFactory& make_protocol);

}  // namespace sig::edge
