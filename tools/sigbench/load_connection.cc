#include "load_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <utility>

#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket.hpp>

#include "core/strings.h"

namespace sig::bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using error_code = boost::system::error_code;

LoadConnection::LoadConnection(net::io_context& io, const Dialect& dialect, Handler& handler,
                               std::size_t index, std::size_t worker, std::string id,
                               std::string room)
    : ws_(io.get_executor()),
      dialect_(dialect),
      handler_(handler),
      index_(index),
      worker_(worker),
      id_(std::move(id)),
      room_(std::move(room)) {}

void LoadConnection::Start(const net::ip::tcp::endpoint& server, const net::ip::address& source) {
  host_ = core::StrCat(server.address().to_string(), ":", server.port());
  auto& socket = ws_.next_layer();
  error_code ec;
  socket.open(server.protocol(), ec);
  if (!ec) {
    // Binding a source address without this would pick the port at bind time, unique per
    // address alone; deferred to connect, ports are unique per 4-tuple, so each 127.0.0.x
    // source gets the whole ephemeral range.
    const int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket.bind(net::ip::tcp::endpoint(source, 0), ec);
  }
  if (ec) {
    net::post(ws_.get_executor(), [self = shared_from_this(), ec] {
      self->End(core::StrCat("bind: ", ec.message()));
    });
    return;
  }
  socket.async_connect(server,
                       beast::bind_front_handler(&LoadConnection::OnConnect, shared_from_this()));
}

void LoadConnection::OnConnect(const error_code& ec) {
  if (ec) return End(core::StrCat("connect: ", ec.message()));
  error_code ignored;
  ws_.next_layer().set_option(net::ip::tcp::no_delay(true), ignored);
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws_.async_handshake(host_, dialect_.Target(id_),
                      beast::bind_front_handler(&LoadConnection::OnHandshake, shared_from_this()));
}

void LoadConnection::OnHandshake(const error_code& ec) {
  if (ec) return End(core::StrCat("handshake: ", ec.message()));
  ws_.text(true);
  if (auto login = dialect_.Login(id_, room_)) Send(std::move(*login));
  DoRead();
}

void LoadConnection::DoRead() {
  ws_.async_read(buffer_, beast::bind_front_handler(&LoadConnection::OnRead, shared_from_this()));
}

void LoadConnection::OnRead(const error_code& ec, std::size_t bytes) {
  // After End the handler may be gone; a read that completed before the socket closed is moot.
  if (ended_) return;
  if (ec) {
    const bool clean = closing_ && ec == websocket::error::closed;
    return End(clean ? "" : core::StrCat("read: ", ec.message()));
  }
  const auto data = buffer_.cdata();
  const std::string_view frame(static_cast<const char*>(data.data()), data.size());
  if (!logged_in_) {
    if (dialect_.IsLoggedIn(frame)) {
      logged_in_ = true;
      handler_.OnLogin(*this);
    } else if (dialect_.IsRefusal(frame)) {
      return End(core::StrCat("refused: ", frame.substr(0, 200)));
    }
  } else {
    handler_.OnMessage(*this, frame);
  }
  buffer_.consume(bytes);
  DoRead();
}

void LoadConnection::Send(std::string frame) {
  if (ended_ || closing_) return;
  outbox_.push_back(std::move(frame));
  if (!writing_) DoWrite();
}

void LoadConnection::DoWrite() {
  writing_ = true;
  ws_.async_write(net::buffer(outbox_.front()),
                  [self = shared_from_this()](const error_code& ec, std::size_t) {
                    self->writing_ = false;
                    // A failed write shows up on the read side too, which ends the connection.
                    if (ec || self->ended_) {
                      self->outbox_.clear();
                      return;
                    }
                    self->outbox_.pop_front();
                    if (!self->outbox_.empty()) {
                      self->DoWrite();
                    } else if (self->closing_) {
                      self->ws_.async_close(websocket::close_code::normal,
                                            [self](const error_code&) {});
                    }
                  });
}

void LoadConnection::Close() {
  if (ended_ || closing_) return;
  closing_ = true;
  if (!writing_) ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](
                                                                    const error_code&) {});
}

void LoadConnection::End(std::string_view failure) {
  if (ended_) return;
  ended_ = true;
  failure_ = std::string(failure);
  // A write in flight still refers to the front frame; its handler clears the rest.
  if (!writing_) outbox_.clear();
  error_code ignored;
  ws_.next_layer().close(ignored);
  handler_.OnEnd(*this);
}

}  // namespace sig::bench
