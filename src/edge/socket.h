#pragma once

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/basic_stream.hpp>

namespace sig::edge {

// A connection lives on one of the server's io_contexts for its whole life, and its socket's type
// says so. The socket moves from the acceptor through the HTTP phase into the WebSocket session
// keeping its reactor registration: handing the descriptor to a socket of another executor type
// instead costs an epoll deregistration, a registration, a getsockname and an ioctl per
// connection (bench/analysis.md). Operations also skip the type-erased executor's copies.
using Socket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

// The plain HTTP phase's stream: Beast's timeouts for the request, over a Socket.
using HttpStream =
    boost::beast::basic_stream<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

}  // namespace sig::edge
