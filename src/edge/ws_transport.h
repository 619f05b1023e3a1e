#pragma once

// The two transports a WebSocket session runs over: PlainIo on the bare socket and TlsIo over
// OpenSSL. WsSession is a template on them; everything it needs from one is here. Included by
// ws_session.cc only: Beast and Asio stay out of widely included headers (compile time).

#include <array>
#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "edge/socket.h"

namespace sig::edge::transport {

namespace beast = boost::beast;
namespace net = boost::asio;
using error_code = boost::system::error_code;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Reads go to one buffer per I/O thread. A session parses what it read before its handler
// returns and keeps only an incomplete frame's bytes, so an idle peer holds no read buffer.
inline constexpr std::size_t kThreadReadBufferBytes = 64 * 1024;

inline char* ThreadReadBuffer() {
  thread_local std::array<char, kThreadReadBufferBytes> buffer;
  return buffer.data();
}

// A plain connection's I/O, on the bare Socket: the HTTP phase's beast::basic_stream wraps every
// read and write in a timer-checking op, several percent of the server's CPU per relayed message
// in sigbench (docs/benchmarks.md). A read waits for readability and then reads without blocking
// into the thread's buffer: reading straight into it with async_read_some would let Asio read
// for several sessions before their handlers run. Writes go out at once when the kernel takes
// them.
class PlainIo {
 public:
  static constexpr bool kWritesInline = true;

  explicit PlainIo(Socket socket) : socket_(std::move(socket)) {}

  Socket& stream() { return socket_; }
  Socket& socket() { return socket_; }

  // Called once the handshake is done: reads and writes from here on never block.
  void Start(error_code& ec) { socket_.non_blocking(true, ec); }

  // Calls handler(ec, data, size) with the next bytes read, in the thread's buffer, valid until
  // the handler returns.
  template <class Handler>
  void AsyncRead(Handler handler) {
    socket_.async_wait(net::socket_base::wait_read,
                       [this, handler = std::move(handler)](error_code ec) mutable {
                         std::size_t size = 0;
                         char* data = ThreadReadBuffer();
                         if (!ec) size = socket_.read_some(net::buffer(data, kThreadReadBufferBytes), ec);
                         // Readable, then nothing to read: woken for an error already cleared.
                         if (ec == net::error::would_block) return AsyncRead(std::move(handler));
                         handler(ec, data, size);
                       });
  }

  // Writes what the kernel takes of `buffers` now; returns the byte count.
  std::size_t WriteNow(const std::vector<net::const_buffer>& buffers, error_code& ec) {
    const std::size_t n = socket_.write_some(buffers, ec);
    if (ec == net::error::would_block) ec = {};
    return n;
  }

  template <class Handler>
  void AsyncWrite(net::const_buffer buffer, Handler handler) {
    net::async_write(socket_, buffer, std::move(handler));
  }

  // Reads go on after the close handshake, discarding, until the peer closes: closing with
  // unread bytes would make the kernel send RST, and a peer still sending (the rest of an
  // oversized message, say) would lose the close frame.
  static constexpr bool kReadsUntilEof = true;

  // After both close frames: half-closes. The reads then end at the peer's end of stream.
  template <class Handler>
  void Teardown(Handler&&) {
    error_code ignored;
    socket_.shutdown(net::socket_base::shutdown_send, ignored);
  }

 private:
  Socket socket_;
};

// A TLS connection's I/O: OpenSSL keeps decrypted bytes of its own, so readability of the
// socket says nothing; reads go to a buffer of the session's.
class TlsIo {
 public:
  static constexpr bool kWritesInline = false;

  explicit TlsIo(TlsStream stream) : stream_(std::move(stream)) {}

  TlsStream& stream() { return stream_; }
  net::ip::tcp::socket& socket() { return beast::get_lowest_layer(stream_).socket(); }

  void Start(error_code&) { buffer_ = std::make_unique<char[]>(kBufferBytes); }

  template <class Handler>
  void AsyncRead(Handler handler) {
    stream_.async_read_some(net::buffer(buffer_.get(), kBufferBytes),
                            [this, handler = std::move(handler)](error_code ec, std::size_t size) mutable {
                              handler(ec, buffer_.get(), size);
                            });
  }

  std::size_t WriteNow(const std::vector<net::const_buffer>&, error_code&) { return 0; }

  template <class Handler>
  void AsyncWrite(net::const_buffer buffer, Handler handler) {
    net::async_write(stream_, buffer, std::move(handler));
  }

  // The TLS shutdown reads on its own, so no read may be pending when it starts.
  static constexpr bool kReadsUntilEof = false;

  // After both close frames: the TLS close_notify exchange, then `on_end`.
  template <class Handler>
  void Teardown(Handler&& on_end) {
    stream_.async_shutdown([on_end = std::forward<Handler>(on_end)](error_code) mutable { on_end(); });
  }

 private:
  static constexpr std::size_t kBufferBytes = 4096;
  TlsStream stream_;
  std::unique_ptr<char[]> buffer_;
};

}  // namespace sig::edge::transport
