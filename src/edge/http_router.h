#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/status/statusor.h"
#include "edge/edge_context.h"

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
  explicit HttpRouter(EdgeContext& state) : state_(state) {}

  HttpResponse Route(const HttpRequest& request) const;
  // The metrics listener's (METRICS_ADDR) requests: GET /metrics, and 404 for anything else.
  HttpResponse RouteMetricsListener(const HttpRequest& request) const;

  // The realm whose names `request` asks for, when it is an allowed PeerJS peer list
  // ({prefix}/{key}/peers): the caller reads them (Directory::ListNames, which may wait on other
  // nodes) and answers with PeerList. Route answers it from what this node knows.
  std::optional<std::string> PeerListRealm(const HttpRequest& request) const;
  HttpResponse PeerList(const HttpRequest& request,
                        const absl::StatusOr<std::vector<std::string>>& names) const;

  // A response with sigd's common headers; the body is dropped for HEAD.
  static HttpResponse MakeResponse(boost::beast::http::status status, std::string body,
                                   std::string_view content_type, const HttpRequest& request);

 private:
  // Auth on: whether the request bears a valid token for PeerJS key `key` (its room). Always
  // true while auth is off.
  bool MayListPeers(const HttpRequest& request, std::string_view key) const;
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
};

}  // namespace sig::edge
