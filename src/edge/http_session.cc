#include "edge/http_session.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "edge/td_protocol.h"
#include "edge/ws_session.h"

namespace sig::edge {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using error_code = boost::system::error_code;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

std::unique_ptr<Protocol> MakeTdProtocol(Connection& connection, SharedState& state) {
  return std::make_unique<TdProtocol>(connection, state);
}

// GET /health body, the seed's shape.
std::string HealthBody(const SharedState& state) {
  const absl::Time now = state.clock.Now();
  return absl::StrFormat(
      R"({"status":"healthy","clientCount":%d,"uptime":%.3f,"timestamp":"%s"})",
      state.router.peer_count(), absl::ToDoubleSeconds(now - state.started_at),
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()));
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(net::ip::tcp::socket&& socket, SharedState& state)
      : stream_(std::move(socket)), state_(state) {}

  void Run() { DoRead(); }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_.limits.max_http_header_bytes));
    parser_->body_limit(state_.limits.max_http_header_bytes);
    stream_.expires_after(absl::ToChronoNanoseconds(state_.limits.http_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnRead(error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) {
      stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec == http::error::header_limit || ec == http::error::body_limit) {
      Reply(MakeResponse(http::status::request_header_fields_too_large, R"({"error":"too large"})",
                         parser_->get()),
            /*close=*/true);
      return;
    }
    if (ec) return;  // timeout, reset, malformed request: nothing sensible to answer

    Request request = parser_->release();
    if (beast::websocket::is_upgrade(request)) {
      if (state_.shutting_down.load()) {
        Reply(MakeResponse(http::status::service_unavailable, R"({"error":"shutting down"})",
                           request),
              true);
        return;
      }
      StartWsSession(std::move(stream_), std::move(request), state_, &MakeTdProtocol);
      return;
    }
    Reply(Route(request), !request.keep_alive());
  }

  Response Route(const Request& request) const {
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      return MakeResponse(http::status::method_not_allowed, R"({"error":"method not allowed"})",
                          request);
    }
    if (path == "/health") return MakeResponse(http::status::ok, HealthBody(state_), request);
    return MakeResponse(http::status::not_found, R"({"error":"not found"})", request);
  }

  static Response MakeResponse(http::status status, std::string body, const Request& request) {
    Response res{status, request.version()};
    res.set(http::field::server, "sigd");
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(request.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    if (request.method() == http::verb::head) res.body().clear();
    return res;
  }

  void Reply(Response response, bool close) {
    auto shared = std::make_shared<Response>(std::move(response));
    http::async_write(stream_, *shared,
                      [self = shared_from_this(), shared, close](error_code ec, std::size_t) {
                        if (ec) return;
                        if (close) {
                          self->stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
                          return;
                        }
                        self->DoRead();
                      });
  }

  beast::tcp_stream stream_;
  SharedState& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

void StartHttpSession(net::ip::tcp::socket socket, SharedState& state) {
  std::make_shared<HttpSession>(std::move(socket), state)->Run();
}

}  // namespace sig::edge
