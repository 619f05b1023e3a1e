#include "testing/ws_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace sig::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using error_code = boost::system::error_code;

namespace {

absl::Status FromError(const error_code& ec, std::string_view what) {
  return absl::UnavailableError(absl::StrCat(std::string(what), ": ", ec.message()));
}

// Runs `io` until `done` or until `timeout` passes. On timeout, `cancel` is called and the
// cancelled handlers are drained so nothing outlives the call.
template <typename Cancel>
bool RunUntil(net::io_context& io, const bool& done, absl::Duration timeout, Cancel cancel) {
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  while (!done) {
    if (io.run_one_until(deadline) == 0) break;
  }
  if (done) return true;
  cancel();
  io.restart();
  io.run_for(std::chrono::seconds(1));
  return false;
}

}  // namespace

struct WsClient::Impl {
  net::io_context io{1};
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;
  bool read_pending = false;
  bool read_done = false;
  error_code read_result;

  template <typename Start>
  absl::Status Run(absl::Duration timeout, std::string_view what, Start start) {
    bool done = false;
    error_code result;
    start([&](error_code ec) {
      result = ec;
      done = true;
    });
    if (!RunUntil(io, done, timeout, [&] { beast::get_lowest_layer(ws).close(); })) {
      return absl::DeadlineExceededError(absl::StrCat(std::string(what), ": timed out"));
    }
    if (result) return FromError(result, what);
    return absl::OkStatus();
  }
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() = default;

absl::StatusOr<std::unique_ptr<WsClient>> WsClient::Connect(std::uint16_t port,
                                                            std::string_view target,
                                                            int receive_buffer_bytes) {
  return ConnectTo("127.0.0.1", port, target, receive_buffer_bytes);
}

absl::StatusOr<std::unique_ptr<WsClient>> WsClient::ConnectTo(
    std::string_view address, std::uint16_t port, std::string_view target,
    int receive_buffer_bytes, const std::vector<std::pair<std::string, std::string>>& headers) {
  auto impl = std::make_unique<Impl>();
  auto& socket = beast::get_lowest_layer(impl->ws).socket();
  const net::ip::tcp::endpoint endpoint(net::ip::make_address(std::string(address)), port);
  error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (!ec && receive_buffer_bytes > 0) {
    socket.set_option(net::socket_base::receive_buffer_size(receive_buffer_bytes), ec);
  }
  if (ec) return FromError(ec, "socket");
  absl::Status s = impl->Run(kWait, "connect", [&](auto done) {
    socket.async_connect(endpoint, [done](error_code e) { done(e); });
  });
  if (!s.ok()) return s;
  impl->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  impl->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& request) {
    for (const auto& [name, value] : headers) request.insert(name, value);
  }));
  const std::string host = absl::StrCat(endpoint.address().is_v6() ? "[" : "", std::string(address),
                                        endpoint.address().is_v6() ? "]:" : ":", port);
  const std::string path(target);
  s = impl->Run(kWait, "handshake", [&](auto done) {
    impl->ws.async_handshake(host, path, [done](error_code e) { done(e); });
  });
  if (!s.ok()) return s;
  return std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
}

absl::Status WsClient::Send(std::string_view text, absl::Duration timeout) {
  impl_->ws.text(true);
  return impl_->Run(timeout, "send", [&](auto done) {
    impl_->ws.async_write(net::buffer(text.data(), text.size()),
                          [done](error_code e, std::size_t) { done(e); });
  });
}

absl::Status WsClient::SendBinary(std::string_view bytes, absl::Duration timeout) {
  impl_->ws.binary(true);
  absl::Status s = impl_->Run(timeout, "send", [&](auto done) {
    impl_->ws.async_write(net::buffer(bytes.data(), bytes.size()),
                          [done](error_code e, std::size_t) { done(e); });
  });
  impl_->ws.text(true);
  return s;
}

absl::Status WsClient::SendFragmented(std::string_view text, int fragments,
                                      absl::Duration timeout) {
  impl_->ws.text(true);
  const std::size_t n = static_cast<std::size_t>(fragments);
  const std::size_t piece = (text.size() + n - 1) / n;
  for (std::size_t i = 0, at = 0; i < n; ++i, at += piece) {
    const std::string_view part = text.substr(std::min(at, text.size()), piece);
    const bool fin = i + 1 == n;
    absl::Status s = impl_->Run(timeout, "send", [&](auto done) {
      impl_->ws.async_write_some(fin, net::buffer(part.data(), part.size()),
                                 [done](error_code e, std::size_t) { done(e); });
    });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> WsClient::Read(absl::Duration timeout) {
  Impl& impl = *impl_;
  // The read stays pending across a timeout, so a short poll does not cost the connection.
  if (!impl.read_pending) {
    impl.read_pending = true;
    impl.read_done = false;
    impl.buffer.clear();
    impl.ws.async_read(impl.buffer, [&impl](error_code e, std::size_t) {
      impl.read_result = e;
      impl.read_done = true;
    });
  }
  impl.io.restart();
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  while (!impl.read_done) {
    if (impl.io.run_one_until(deadline) == 0) break;
  }
  if (!impl.read_done) return absl::DeadlineExceededError("read: timed out");
  impl.read_pending = false;
  if (impl.read_result == websocket::error::closed) {
    const auto code = static_cast<std::uint16_t>(impl.ws.reason().code);
    close_code_ = code == 0 ? 1005 : code;
    return absl::AbortedError(absl::StrCat("closed with code ", close_code_, " reason '",
                                           std::string(impl.ws.reason().reason.c_str()), "'"));
  }
  if (impl.read_result) {
    if (close_code_ == 0) close_code_ = 1006;
    return FromError(impl.read_result, "read");
  }
  return beast::buffers_to_string(impl.buffer.data());
}

absl::StatusOr<boost::json::value> WsClient::ReadJson(absl::Duration timeout) {
  auto text = Read(timeout);
  if (!text.ok()) return text.status();
  error_code ec;
  boost::json::value v = boost::json::parse(*text, ec);
  if (ec) return absl::DataLossError(absl::StrCat("not JSON: ", *text));
  return v;
}

absl::StatusOr<boost::json::value> WsClient::ReadType(std::string_view type,
                                                      absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    auto message = ReadJson(deadline - absl::Now());
    if (!message.ok() || Str(*message, "type") == type) return message;
  }
}

absl::StatusOr<std::uint16_t> WsClient::WaitClose(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    auto text = Read(deadline - absl::Now());
    if (text.ok()) continue;
    if (absl::IsDeadlineExceeded(text.status())) return text.status();
    return close_code_;
  }
}

absl::StatusOr<boost::json::value> WsClient::Login(std::string_view name, std::string_view room) {
  boost::json::object login{{"type", "login"}, {"name", boost::json::string_view(name.data(), name.size())}};
  if (!room.empty()) login["room"] = boost::json::string_view(room.data(), room.size());
  if (absl::Status s = Send(boost::json::serialize(login)); !s.ok()) return s;
  auto reply = ReadJson();
  if (!reply.ok()) return reply.status();
  if (Str(*reply, "type") != "login_success") {
    return absl::FailedPreconditionError(boost::json::serialize(*reply));
  }
  return reply;
}

absl::Status WsClient::Close(absl::Duration timeout) {
  return impl_->Run(timeout, "close", [&](auto done) {
    impl_->ws.async_close(websocket::close_code::normal, [done](error_code e) { done(e); });
  });
}

void WsClient::Abort() {
  error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(impl_->ws).close();
}

std::uint16_t WsClient::local_port() const {
  error_code ec;
  const auto endpoint = beast::get_lowest_layer(impl_->ws).socket().local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

absl::StatusOr<HttpReply> HttpGet(std::uint16_t port, std::string_view target,
                                  absl::Duration timeout) {
  return HttpRequest(port, "GET", target, {}, timeout);
}

absl::StatusOr<HttpReply> HttpRequest(
    std::uint16_t port, std::string_view method, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers, absl::Duration timeout) {
  return HttpRequestTo("127.0.0.1", port, method, target, headers, timeout);
}

absl::StatusOr<HttpReply> HttpRequestTo(
    std::string_view address, std::uint16_t port, std::string_view method, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers, absl::Duration timeout) {
  net::io_context io{1};
  beast::tcp_stream stream(io);
  stream.expires_after(absl::ToChronoNanoseconds(timeout));
  http::request<http::empty_body> request{
      http::string_to_verb(beast::string_view(method.data(), method.size())), std::string(target),
      11};
  request.set(http::field::host, absl::StrCat("127.0.0.1:", port));
  for (const auto& [name, value] : headers) request.insert(name, value);  // repeats are kept
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  error_code result;
  stream.async_connect({net::ip::make_address(std::string(address)), port}, [&](error_code ec) {
    if (ec) {
      result = ec;
      return;
    }
    http::async_write(stream, request, [&](error_code wec, std::size_t) {
      if (wec) {
        result = wec;
        return;
      }
      http::async_read(stream, buffer, response,
                       [&](error_code rec, std::size_t) { result = rec; });
    });
  });
  io.run();
  if (result) return FromError(result, "http get");
  HttpReply reply;
  reply.status = static_cast<int>(response.result_int());
  reply.body = response.body();
  reply.content_type = std::string(response[http::field::content_type]);
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(field.value());
  }
  return reply;
}

std::string Str(const boost::json::value& message, std::string_view key) {
  if (!message.is_object()) return {};
  const auto* v = message.as_object().if_contains(boost::json::string_view(key.data(), key.size()));
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->as_string().data(), v->as_string().size());
}

}  // namespace sig::testing
