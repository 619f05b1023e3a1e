#include "edge/http_session.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "absl/random/random.h"
#include "edge/demo_page.h"
#include "edge/json_frame.h"
#include "edge/metrics.h"
#include "edge/peerjs_protocol.h"
#include "edge/query.h"
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

constexpr std::string_view kJson = "application/json";

std::unique_ptr<Protocol> MakeTdProtocol(Connection& connection, SharedState& state,
                                         std::string_view) {
  return std::make_unique<TdProtocol>(connection, state);
}

std::unique_ptr<Protocol> MakePeerJsProtocol(Connection& connection, SharedState& state,
                                             std::string_view target) {
  return std::make_unique<PeerJsProtocol>(connection, state, target);
}

// A random (version 4) UUID, the id format peerjs-server hands out.
std::string RandomUuid() {
  thread_local absl::BitGen gen;
  std::uint8_t b[16];
  for (auto& byte : b) byte = absl::Uniform<std::uint8_t>(gen);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
}

std::string_view Header(const Request& request, http::field field) {
  const auto value = request[field];
  return std::string_view(value.data(), value.size());
}

// peerjs-server's app.json, served at {prefix}.
constexpr std::string_view kPeerJsAppJson =
    R"({"name":"PeerJS Server","description":"A server side element to broker connections )"
    R"(between PeerJS clients.","website":"https://peerjs.com/"})";

// GET /health body: the seed's shape, plus registered peers by protocol. `status` is "healthy"
// while serving, else the lifecycle phase ("draining", "stopping").
std::string HealthBody(const SharedState& state) {
  const absl::Time now = state.clock.Now();
  const core::Lifecycle::Phase phase = state.lifecycle.phase();
  const std::string_view status =
      phase == core::Lifecycle::Phase::kServing ? "healthy" : core::Lifecycle::Name(phase);
  return absl::StrFormat(
      R"({"status":"%s","clientCount":%d,"uptime":%.3f,"timestamp":"%s",)"
      R"("peers":{"td":%d,"peerjs":%d}})",
      std::string(status), state.router.peer_count(), absl::ToDoubleSeconds(now - state.started_at),
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()),
      state.stats.peers(0), state.stats.peers(1));
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
                         kJson, parser_->get()),
            /*close=*/true);
      return;
    }
    if (ec == beast::error::timeout) state_.stats.CountHttpTimeout();
    if (ec) return;  // timeout, reset, malformed request: nothing sensible to answer

    Request request = parser_->release();
    if (beast::websocket::is_upgrade(request)) {
      const std::string_view target(request.target().data(), request.target().size());
      const bool peerjs = TargetPath(target) == state_.peerjs.WebSocketPath();
      if (const core::Lifecycle::Phase phase = state_.lifecycle.phase();
          phase != core::Lifecycle::Phase::kServing) {
        const bool draining = phase == core::Lifecycle::Phase::kDraining;
        state_.stats.CountRejection(peerjs ? core::Stats::Protocol::kPeerJs
                                           : core::Stats::Protocol::kTd,
                                    draining ? "draining" : "shutting_down");
        Reply(MakeResponse(http::status::service_unavailable,
                           draining ? R"({"error":"draining"})" : R"({"error":"shutting down"})",
                           kJson, request),
              true);
        return;
      }
      const core::Stats::Protocol protocol =
          peerjs ? core::Stats::Protocol::kPeerJs : core::Stats::Protocol::kTd;
      if (!state_.OriginAllowed(Header(request, http::field::origin))) {
        state_.stats.CountRejection(protocol, "origin");
        Reply(MakeResponse(http::status::forbidden, R"({"error":"origin not allowed"})", kJson,
                           request),
              true);
        return;
      }
      // Refused before the upgrade, so a full server spends no WebSocket state on the attempt.
      if (!state_.TryAdmitSession()) {
        state_.stats.CountRejection(protocol, "max_connections");
        Reply(MakeResponse(http::status::service_unavailable,
                           R"({"error":"too many connections"})", kJson, request),
              true);
        return;
      }
      StartWsSession(std::move(stream_), std::move(request), state_,
                     peerjs ? &MakePeerJsProtocol : &MakeTdProtocol);
      return;
    }
    Reply(Route(request), !request.keep_alive());
  }

  Response Route(const Request& request) const {
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = TargetPath(target);
    const std::string& prefix = state_.peerjs.path_prefix;
    const bool peerjs = path.substr(0, prefix.size()) == prefix &&
                        (path.size() == prefix.size() || path[prefix.size()] == '/');
    if (peerjs && request.method() == http::verb::options) return Preflight(request);
    Response res = RouteGet(request, path, peerjs);
    if (peerjs) AddCors(request, res);
    return res;
  }

  Response RouteGet(const Request& request, std::string_view path, bool peerjs) const {
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      return MakeResponse(http::status::method_not_allowed, R"({"error":"method not allowed"})",
                          kJson, request);
    }
    if (path == "/health" || path == "/") {
      // 503 once not serving, so load balancers and readiness probes stop sending peers here.
      return MakeResponse(state_.lifecycle.serving() ? http::status::ok
                                                     : http::status::service_unavailable,
                          HealthBody(state_), kJson, request);
    }
    if (path == "/metrics") {
      return MakeResponse(http::status::ok, RenderMetrics(state_), kMetricsContentType, request);
    }
    if (path == "/demo") {
      return MakeResponse(http::status::ok, std::string(DemoPage()), "text/html; charset=utf-8",
                          request);
    }
    if (peerjs) {
      // {prefix}, {prefix}/id, {prefix}/peers, {prefix}/{key}/id, {prefix}/{key}/peers. The key
      // in the path is not checked (only the WebSocket checks it), as in peerjs-server.
      std::string_view rest = path.substr(state_.peerjs.path_prefix.size());
      if (rest.empty() || rest == "/") {
        return MakeResponse(http::status::ok, std::string(kPeerJsAppJson), "application/json; charset=utf-8",
                            request);
      }
      std::string_view key = state_.peerjs.key;
      const auto slash = rest.find('/', 1);
      if (slash != std::string_view::npos) {
        key = rest.substr(1, slash - 1);
        rest = rest.substr(slash);
      }
      if (rest == "/id") {
        const std::string realm = PeerJsOptions::Realm(key);
        std::string id = RandomUuid();
        while (state_.router.Contains(realm, id)) id = RandomUuid();
        return MakeResponse(http::status::ok, std::move(id), "text/html; charset=utf-8", request);
      }
      if (rest == "/peers") {
        if (!state_.peerjs.allow_discovery) {
          return MakeResponse(http::status::unauthorized, "Unauthorized",
                              "text/plain; charset=utf-8", request);
        }
        std::string body = "[";
        for (const std::string& name : state_.router.Names(PeerJsOptions::Realm(key))) {
          if (body.size() > 1) body.push_back(',');
          body += JsonFrame::Quote(name);
        }
        body.push_back(']');
        return MakeResponse(http::status::ok, std::move(body), "application/json; charset=utf-8",
                            request);
      }
    }
    return MakeResponse(http::status::not_found, R"({"error":"not found"})", kJson, request);
  }

  // CORS as peerjs-server's `cors` middleware does it: reflect an allowed Origin.
  bool AllowedOrigin(std::string_view origin) const {
    if (origin.empty()) return false;
    const auto& allowed = state_.peerjs.cors_origins;
    return allowed.empty() || std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
  }

  void AddCors(const Request& request, Response& res) const {
    const std::string_view origin = Header(request, http::field::origin);
    if (AllowedOrigin(origin)) res.set(http::field::access_control_allow_origin, origin);
    res.set(http::field::vary, "Origin");
  }

  Response Preflight(const Request& request) const {
    Response res = MakeResponse(http::status::no_content, std::string(), "", request);
    res.erase(http::field::content_type);
    const std::string_view origin = Header(request, http::field::origin);
    if (AllowedOrigin(origin)) res.set(http::field::access_control_allow_origin, origin);
    res.set(http::field::access_control_allow_methods, "GET,HEAD,PUT,PATCH,POST,DELETE");
    const std::string_view headers = Header(request, http::field::access_control_request_headers);
    if (!headers.empty()) res.set(http::field::access_control_allow_headers, headers);
    res.set(http::field::vary, "Origin, Access-Control-Request-Headers");
    return res;
  }

  static Response MakeResponse(http::status status, std::string body,
                               std::string_view content_type, const Request& request) {
    Response res{status, request.version()};
    res.set(http::field::server, "sigd");
    res.set(http::field::content_type, content_type);
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
