#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

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

  // A response with sigd's common headers; the body is dropped for HEAD.
  static HttpResponse MakeResponse(boost::beast::http::status status, std::string body,
                                   std::string_view content_type, const HttpRequest& request);

 private:
  HttpResponse RouteGet(const HttpRequest& request, std::string_view path, bool peerjs) const;
  bool AllowedOrigin(std::string_view origin) const;
  void AddCors(const HttpRequest& request, HttpResponse& res) const;
  HttpResponse Preflight(const HttpRequest& request) const;

  EdgeContext& state_;
};

}  // namespace sig::edge
