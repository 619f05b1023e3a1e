// libFuzzer: arbitrary bytes parsed as an HTTP request by Beast (with sigd's header and body
// limits) and handled the way HttpSession does: a WebSocket upgrade is decided by AdmitUpgrade,
// anything else answered by HttpRouter. Oracles for upgrades: an admitted one passes
// CheckUpgradeRequest and its Origin is allowed; a refused one has a reason and a 4xx or 503
// status. For the rest: a status sigd can give, a Content-Length that matches the body, no CR or
// LF in any header (Origin and Access-Control-Request-Headers are reflected), and an
// Access-Control-Allow-Origin only for an allowed Origin.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "core/clock.h"
#include "core/limits.h"
#include "edge/admission.h"
#include "edge/http_router.h"
#include "edge/upgrade_request.h"
#include "edge/edge_context.h"

namespace {

namespace http = boost::beast::http;

sig::edge::EdgeContext& State() {
  static const sig::core::Limits limits;
  static const sig::core::SystemClock clock;
  static sig::core::Node node(limits, clock);
  static sig::edge::EdgeContext state = [] {
    sig::edge::PeerJsOptions peerjs;
    peerjs.allow_discovery = true;
    peerjs.cors_origins = {"https://app.example"};
    return sig::edge::EdgeContext(node, std::move(peerjs));
  }();
  return state;
}

// The upgrade oracles above; returns normally when they hold.
void CheckUpgrade(const sig::edge::HttpRequest& request) {
  static const std::vector<std::string> origins = {"https://app.example"};
  const std::string peerjs_path = State().peerjs.WebSocketPath();
  const sig::edge::UpgradeDecision decision = sig::edge::AdmitUpgrade(
      request, sig::edge::AdmissionPolicy{peerjs_path, sig::core::Lifecycle::Phase::kServing,
                                          &origins, absl::UnixEpoch()});
  if (decision.admitted()) {
    const auto origin = request[http::field::origin];
    if (!sig::edge::CheckUpgradeRequest(request).ok()) __builtin_trap();
    if (!origin.empty() && origin != "https://app.example") __builtin_trap();
    return;
  }
  switch (static_cast<int>(decision.status)) {
    case 400: case 401: case 403: case 503:
      break;
    default:
      __builtin_trap();
  }
  if (decision.body.empty() || decision.body.front() != '{') __builtin_trap();
}

bool HasLineBreak(std::string_view s) {
  return s.find('\r') != std::string_view::npos || s.find('\n') != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.header_limit(static_cast<std::uint32_t>(State().limits.max_http_header_bytes));
  parser.body_limit(State().limits.max_http_header_bytes);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (!ec && used < size && !parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (n == 0 && !ec) break;
    used += n;
  }
  if (ec == http::error::need_more) ec = {};
  if (!ec && !parser.is_done() && parser.got_some()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  const sig::edge::HttpRequest& request = parser.get();
  if (boost::beast::websocket::is_upgrade(request)) {
    CheckUpgrade(request);
    return 0;
  }

  const sig::edge::HttpResponse res = sig::edge::HttpRouter(State(), "192.0.2.1:1").Route(request);
  switch (res.result_int()) {
    case 200: case 204: case 401: case 404: case 405: case 503:
      break;
    default:
      __builtin_trap();
  }
  if (res.version() != request.version()) __builtin_trap();
  for (const auto& field : res) {
    if (HasLineBreak(std::string_view(field.value().data(), field.value().size()))) {
      __builtin_trap();
    }
  }
  if (request.method() != http::verb::head && res.result_int() != 204 &&
      res[http::field::content_length] != std::to_string(res.body().size())) {
    __builtin_trap();
  }
  const auto allow = res[http::field::access_control_allow_origin];
  if (!allow.empty() &&
      (allow != request[http::field::origin] || allow != "https://app.example")) {
    __builtin_trap();
  }
  return 0;
}
