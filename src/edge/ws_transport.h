#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <utility>

#include <boost/asio/compose.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/role.hpp>

// Included only by ws_session.cc: it pulls in Asio.
namespace sig::edge {

// The WebSocket's transport: a TCP socket typed with the io_context's own executor (no
// type-erased executor, no per-operation deadline as in beast::tcp_stream), with a teardown that
// drains the peer's unread bytes until it closes.
//
// Beast 1.81's teardown for a TCP socket stops draining after the first successful read (it
// tests the coroutine's byte count, which is always 0 there, instead of the read's) and closes
// the socket with the peer's bytes still unread. The kernel then sends RST, and a client that is
// still sending (the rest of an oversized fragmented message, say) loses the close frame: it
// sees 1006 instead of 1009. Beast finds this type's async_teardown by argument-dependent lookup.
class WsTransport {
 public:
  using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                  boost::asio::io_context::executor_type>;
  using executor_type = Socket::executor_type;
  using next_layer_type = Socket;

  explicit WsTransport(Socket socket) : socket_(std::move(socket)) {}

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  Socket& next_layer() noexcept { return socket_; }
  const Socket& next_layer() const noexcept { return socket_; }

  template <class Buffers, class Handler>
  auto async_read_some(const Buffers& buffers, Handler&& handler) {
    return socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class Buffers, class Handler>
  auto async_write_some(const Buffers& buffers, Handler&& handler) {
    return socket_.async_write_some(buffers, std::forward<Handler>(handler));
  }

 private:
  Socket socket_;
};

// The server half-closes, reads and discards until the peer's end of stream (or an error), then
// closes. How long this may take is bounded by the WebSocket's close timeout, which closes the
// socket and so ends the reads.
template <class Handler>
void async_teardown(boost::beast::role_type role, WsTransport& transport, Handler&& handler) {
  namespace net = boost::asio;
  using error_code = boost::system::error_code;
  WsTransport::Socket& socket = transport.next_layer();
  // The drain buffer lives as long as the operation; one per closing connection, briefly.
  auto scratch = std::make_unique<std::array<char, 2048>>();
  net::async_compose<Handler, void(error_code)>(
      [&socket, role, scratch = std::move(scratch), started = false](
          auto& self, error_code ec = {}, std::size_t = 0) mutable {
        if (!started) {
          started = true;
          if (role == boost::beast::role_type::server) {
            socket.shutdown(net::socket_base::shutdown_send, ec);
            ec = {};  // already shut or reset: the reads below find out
          }
        } else if (ec) {
          error_code ignored;
          socket.close(ignored);
          self.complete(ec == net::error::eof ? error_code{} : ec);
          return;
        }
        socket.async_read_some(net::buffer(*scratch), std::move(self));
      },
      handler, socket);
}

// Beast also declares a synchronous teardown for every transport; sigd never closes
// synchronously, so this one only half-closes and closes.
inline void teardown(boost::beast::role_type, WsTransport& transport,
                     boost::system::error_code& ec) {
  transport.next_layer().shutdown(boost::asio::socket_base::shutdown_send, ec);
  transport.next_layer().close(ec);
}

}  // namespace sig::edge
