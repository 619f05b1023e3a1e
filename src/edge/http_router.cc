#include "edge/http_router.h"

#include <algorithm>
#include <string>
#include <utility>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "core/strings.h"
#include "edge/demo_page.h"
#include "edge/json_frame.h"
#include "edge/metrics.h"
#include "edge/query.h"

namespace sig::edge {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kTurnCredentialsPath = "/turn-credentials";

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

// peerjs-server's app.json, served at {prefix}.
constexpr std::string_view kPeerJsAppJson =
    R"({"name":"PeerJS Server","description":"A server side element to broker connections )"
    R"(between PeerJS clients.","website":"https://peerjs.com/"})";

// Whether this node takes peers: serving, and (a cluster node) its bus up.
bool Ready(const EdgeContext& state) {
  return state.lifecycle.serving() && core::Bus::Accepting(state.node.bus->state());
}

// GET /health body: the seed's shape, plus registered peers by protocol and the bus's state.
// `status` is "healthy" while ready, else the lifecycle phase ("draining", "stopping") or, for a
// cluster node whose bus is not up, "bus_down" or "bus_fenced".
std::string HealthBody(const EdgeContext& state) {
  const absl::Time now = state.clock.Now();
  const core::Lifecycle::Phase phase = state.lifecycle.phase();
  const core::Bus::State bus = state.node.bus->state();
  const std::string status =
      phase != core::Lifecycle::Phase::kServing ? std::string(core::Lifecycle::Name(phase))
      : core::Bus::Accepting(bus)               ? std::string("healthy")
                                                : core::StrCat("bus_", core::Bus::Name(bus));
  std::string peers;
  for (std::size_t p = 0; p < core::kProtocolNames.size(); ++p) {
    peers += core::StrCat(p == 0 ? "" : ",", "\"", core::kProtocolNames[p], "\":", state.stats.peers(p));
  }
  return absl::StrFormat(
      R"({"status":"%s","clientCount":%d,"uptime":%.3f,"timestamp":"%s","peers":{%s},"bus":"%s"})",
      status, state.node.directory->size(), absl::ToDoubleSeconds(now - state.node.started_at),
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()), peers,
      std::string(core::Bus::Name(bus)));
}

}  // namespace

std::string_view HeaderValue(const HttpRequest& request, http::field field) {
  const auto value = request[field];
  return std::string_view(value.data(), value.size());
}

std::string_view HttpRouter::Path(const HttpRequest& request) {
  return TargetPath(std::string_view(request.target().data(), request.target().size()));
}

bool HttpRouter::IsPeerJs(std::string_view path) const {
  const std::string& prefix = state_.peerjs.path_prefix;
  return path.substr(0, prefix.size()) == prefix &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

HttpRouter::PeerJsPath HttpRouter::SplitPeerJs(std::string_view path) const {
  // {prefix}, {prefix}/id, {prefix}/peers, {prefix}/{key}/id, {prefix}/{key}/peers. The key
  // in the path is not checked (only the WebSocket checks it), as in peerjs-server.
  PeerJsPath split{state_.peerjs.key, path.substr(state_.peerjs.path_prefix.size())};
  const auto slash = split.rest.find('/', 1);
  if (slash != std::string_view::npos) {
    split.key = split.rest.substr(1, slash - 1);
    split.rest = split.rest.substr(slash);
  }
  return split;
}

namespace {

// The access token an HTTP request carries: an Authorization bearer, else a `token` query
// parameter (so that a plain GET needs no CORS preflight).
std::string RequestToken(const HttpRequest& request) {
  constexpr std::string_view kBearer = "Bearer ";
  const std::string_view authorization = HeaderValue(request, http::field::authorization);
  if (authorization.substr(0, kBearer.size()) == kBearer) {
    return std::string(authorization.substr(kBearer.size()));
  }
  auto params = ParseQuery(std::string_view(request.target().data(), request.target().size()));
  auto it = params.find("token");
  return it == params.end() ? std::string() : std::move(it->second);
}

HttpResponse Unauthorized(const HttpRequest& request) {
  HttpResponse res = HttpRouter::MakeResponse(
      http::status::unauthorized, R"({"error":"a valid bearer token is required"})", kJson,
      request);
  res.set(http::field::www_authenticate, R"(Bearer error="invalid_token")");
  return res;
}

}  // namespace

LoginAuth HttpRouter::Authenticate(const HttpRequest& request,
                                   core::Stats::HttpAuthEndpoint endpoint,
                                   absl::FunctionRef<bool(const auth::Identity&)> fits) const {
  LoginAuth auth = CheckToken(state_, RequestToken(request), client_address_, fits);
  if (auth.blocked) {
    state_.stats.CountHttpAuthBlocked(endpoint);
  } else if (!auth.ok()) {
    state_.stats.CountHttpAuthFailure(endpoint, auth.failure);
  }
  return auth;
}

HttpResponse HttpRouter::Refusal(const HttpRequest& request, const LoginAuth& auth,
                                 HttpResponse unauthorized) const {
  if (!auth.blocked) return unauthorized;
  HttpResponse res = MakeResponse(http::status::too_many_requests,
                                  R"({"error":"too many bad tokens from this address"})", kJson,
                                  request);
  res.set(http::field::retry_after,
          std::to_string(absl::ToInt64Seconds(absl::Ceil(state_.limits.auth_failure_refill,
                                                         absl::Seconds(1)))));
  return res;
}

HttpResponse HttpRouter::TurnCredentials(const HttpRequest& request) const {
  const bool auth_on = state_.auth_on();
  // Off unless TURN is configured; without auth, only when the operator made it public, or
  // sigd would hand relay credentials to anyone who can reach it.
  if (state_.turn == nullptr || (!auth_on && !state_.turn_public)) {
    return MakeResponse(http::status::not_found, R"({"error":"not found"})", kJson, request);
  }
  std::string user = "anonymous";
  if (auth_on) {
    LoginAuth auth = Authenticate(request, core::Stats::HttpAuthEndpoint::kTurnCredentials,
                                  [](const auth::Identity&) { return true; });
    if (!auth.ok()) return Refusal(request, auth, Unauthorized(request));
    user = std::move(auth.identity.subject);
  }
  const auth::TurnCredential credential = state_.turn->Mint(user, state_.clock.Now());
  state_.stats.CountTurnIssued(core::Stats::TurnVia::kHttp);
  return MakeResponse(http::status::ok, state_.turn->RestJson(credential), kJson, request);
}

std::optional<HttpRouter::PeerListQuery> HttpRouter::PeerListOf(const HttpRequest& request) const {
  const std::string_view path = Path(request);
  if ((request.method() != http::verb::get && request.method() != http::verb::head) ||
      !IsPeerJs(path)) {
    return std::nullopt;
  }
  const PeerJsPath split = SplitPeerJs(path);
  if (split.rest != "/peers") return std::nullopt;
  PeerListQuery query{PeerJsOptions::Realm(split.key), std::nullopt};
  const auto unauthorized = [&] {
    return MakeResponse(http::status::unauthorized, "Unauthorized", "text/plain; charset=utf-8",
                        request);
  };
  if (!state_.peerjs.allow_discovery) {
    query.refusal = unauthorized();
  } else if (state_.auth_on()) {
    const LoginAuth auth =
        Authenticate(request, core::Stats::HttpAuthEndpoint::kPeerList,
                     [&](const auth::Identity& identity) { return identity.room == split.key; });
    if (!auth.ok()) query.refusal = Refusal(request, auth, unauthorized());
  }
  if (query.refusal) AddCors(request, *query.refusal);
  return query;
}

HttpResponse HttpRouter::PeerList(const HttpRequest& request,
                                  const absl::StatusOr<std::vector<std::string>>& names) const {
  HttpResponse res = [&] {
    if (!names.ok()) {
      return MakeResponse(http::status::service_unavailable,
                          R"({"error":"the peer list cannot be read now"})", kJson, request);
    }
    std::string body = "[";
    for (const std::string& name : *names) {
      if (body.size() > 1) body.push_back(',');
      body += JsonFrame::Quote(name);
    }
    body.push_back(']');
    return MakeResponse(http::status::ok, std::move(body), "application/json; charset=utf-8",
                        request);
  }();
  AddCors(request, res);
  return res;
}

HttpResponse HttpRouter::Route(const HttpRequest& request) const {
  const std::string_view path = Path(request);
  const bool peerjs = IsPeerJs(path);
  // Pages on other origins fetch TURN credentials too: the same CORS as PeerJS's paths.
  const bool cors = peerjs || path == kTurnCredentialsPath;
  if (cors && request.method() == http::verb::options) return Preflight(request);
  HttpResponse res = RouteGet(request, path, peerjs);
  if (cors) AddCors(request, res);
  return res;
}

HttpResponse HttpRouter::Metrics(const HttpRequest& request) const {
  return MakeResponse(http::status::ok, RenderMetrics(state_), kMetricsContentType, request);
}

HttpResponse HttpRouter::RouteMetricsListener(const HttpRequest& request) const {
  if (Path(request) != "/metrics") {
    return MakeResponse(http::status::not_found, R"({"error":"not found"})", kJson, request);
  }
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return MakeResponse(http::status::method_not_allowed, R"({"error":"method not allowed"})",
                        kJson, request);
  }
  return Metrics(request);
}

HttpResponse HttpRouter::RouteGet(const HttpRequest& request, std::string_view path,
                                  bool peerjs) const {
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return MakeResponse(http::status::method_not_allowed, R"({"error":"method not allowed"})",
                        kJson, request);
  }
  if (path == "/health" || path == "/") {
    // 503 once not ready, so load balancers and readiness probes stop sending peers here.
    return MakeResponse(Ready(state_) ? http::status::ok : http::status::service_unavailable,
                        HealthBody(state_), kJson, request);
  }
  if (path == "/metrics" && state_.metrics_on_public) return Metrics(request);
  if (path == kTurnCredentialsPath) return TurnCredentials(request);
  if (path == "/demo") {
    return MakeResponse(http::status::ok, std::string(DemoPage()), "text/html; charset=utf-8",
                        request);
  }
  if (peerjs) {
    const auto [key, rest] = SplitPeerJs(path);
    if (rest.empty() || rest == "/") {
      return MakeResponse(http::status::ok, std::string(kPeerJsAppJson), "application/json; charset=utf-8",
                          request);
    }
    if (rest == "/id") {
      const std::string realm = PeerJsOptions::Realm(key);
      std::string id = RandomUuid();
      while (state_.node.directory->Lookup(realm, id).found()) id = RandomUuid();
      return MakeResponse(http::status::ok, std::move(id), "text/html; charset=utf-8", request);
    }
    if (rest == "/peers") {
      PeerListQuery query = *PeerListOf(request);
      if (query.refusal) return *std::move(query.refusal);
      // What this node knows; HttpSession asks the directory for every node's (PeerListOf).
      return PeerList(request, state_.node.directory->Names(query.realm));
    }
  }
  return MakeResponse(http::status::not_found, R"({"error":"not found"})", kJson, request);
}

// CORS as peerjs-server's `cors` middleware does it: reflect an allowed Origin.
bool HttpRouter::AllowedOrigin(std::string_view origin) const {
  if (origin.empty()) return false;
  const auto& allowed = state_.peerjs.cors_origins;
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
}

void HttpRouter::AddCors(const HttpRequest& request, HttpResponse& res) const {
  const std::string_view origin = HeaderValue(request, http::field::origin);
  if (AllowedOrigin(origin)) res.set(http::field::access_control_allow_origin, origin);
  res.set(http::field::vary, "Origin");
}

HttpResponse HttpRouter::Preflight(const HttpRequest& request) const {
  HttpResponse res = MakeResponse(http::status::no_content, std::string(), "", request);
  res.erase(http::field::content_type);
  const std::string_view origin = HeaderValue(request, http::field::origin);
  if (AllowedOrigin(origin)) res.set(http::field::access_control_allow_origin, origin);
  res.set(http::field::access_control_allow_methods, "GET,HEAD,PUT,PATCH,POST,DELETE");
  const std::string_view headers = HeaderValue(request, http::field::access_control_request_headers);
  if (!headers.empty()) res.set(http::field::access_control_allow_headers, headers);
  res.set(http::field::vary, "Origin, Access-Control-Request-Headers");
  return res;
}

HttpResponse HttpRouter::MakeResponse(http::status status, std::string body,
                                    std::string_view content_type,
                                    const HttpRequest& request) {
  HttpResponse res{status, request.version()};
  res.set(http::field::server, "sigd");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(request.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  if (request.method() == http::verb::head) res.body().clear();
  return res;
}

}  // namespace sig::edge
