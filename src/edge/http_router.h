#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/status/statusor.h"
#include "absl/functional/function_ref.h"
#include "edge/edge_context.h"
#include "edge/login_auth.h"

namespace sig::edge {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// The value of `field` in `request`, empty when absent.
std::string_view HeaderValue(const HttpRequest& request, boost::beast::http::field field);

// Answers the plain HTTP requests (everything but a WebSocket upgrade): /health, /metrics,
// /demo, and the PeerJS HTTP API under its prefix with peerjs-server's CORS. Pure request in,
// response out, no I/O, so the routing is unit-testable and fuzzed (tests/fuzz).
class HttpRouter {
 public:
  // `client_address` ("ip:port", as RequestClient found it) is whose failed tokens are charged
  // to the per-address budget (EdgeContext::auth_failures).
  HttpRouter(EdgeContext& state, std::string client_address)
      : state_(state), client_address_(std::move(client_address)) {}

  HttpResponse Route(const HttpRequest& request) const;
  // The metrics listener's (METRICS_ADDR) requests: GET /metrics, and 404 for anything else.
  HttpResponse RouteMetricsListener(const HttpRequest& request) const;

  // A PeerJS peer list request ({prefix}/{key}/peers, GET or HEAD): the realm whose names it
  // asks for, or the response that refuses it (discovery off, or auth on without a valid token
  // for the key). The caller reads the names (Directory::ListNames, which may wait on other
  // nodes) and answers with PeerList. Route answers it from what this node knows.
  struct PeerListQuery {
    std::string realm;
    std::optional<HttpResponse> refusal;
  };
  std::optional<PeerListQuery> PeerListOf(const HttpRequest& request) const;
  HttpResponse PeerList(const HttpRequest& request,
                        const absl::StatusOr<std::vector<std::string>>& names) const;

  // A response with sigd's common headers; the body is dropped for HEAD.
  static HttpResponse MakeResponse(boost::beast::http::status status, std::string body,
                                   std::string_view content_type, const HttpRequest& request);

 private:
  // Auth on: the request's token (bearer, else `token` in the query) checked with the login
  // budget (CheckToken), a refusal counted for `endpoint`. Not ok: Refusal says what to answer.
  LoginAuth Authenticate(const HttpRequest& request, core::Stats::HttpAuthEndpoint endpoint,
                         absl::FunctionRef<bool(const auth::Identity&)> fits) const;
  // 429 with Retry-After for an address over its budget, else `unauthorized`.
  HttpResponse Refusal(const HttpRequest& request, const LoginAuth& auth,
                       HttpResponse unauthorized) const;
  HttpResponse Metrics(const HttpRequest& request) const;
  // GET /turn-credentials.
  HttpResponse TurnCredentials(const HttpRequest& request) const;
  // A PeerJS path after the prefix: the key (the configured one when the path names none) and
  // what follows it.
  struct PeerJsPath {
    std::string_view key;
    std::string_view rest;
  };

  static std::string_view Path(const HttpRequest& request);
  bool IsPeerJs(std::string_view path) const;
  PeerJsPath SplitPeerJs(std::string_view path) const;
  HttpResponse RouteGet(const HttpRequest& request, std::string_view path, bool peerjs) const;
  bool AllowedOrigin(std::string_view origin) const;
  void AddCors(const HttpRequest& request, HttpResponse& res) const;
  HttpResponse Preflight(const HttpRequest& request) const;

  EdgeContext& state_;
  const std::string client_address_;
};

}  // namespace sig::edge
