#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/status.hpp>

#include "absl/time/time.h"
#include "core/lifecycle.h"
#include "core/outcome.h"
#include "core/stats.h"
#include "edge/http_router.h"

namespace sig::edge {

// What an upgrade is judged against: the server's state when it arrived.
struct AdmissionPolicy {
  std::string_view peerjs_path;  // PeerJsOptions::WebSocketPath()
  core::Lifecycle::Phase phase = core::Lifecycle::Phase::kServing;
  const std::vector<std::string>* allowed_origins = nullptr;  // empty or null: any
  absl::Time now;
};

// The decision on one WebSocket upgrade request.
struct UpgradeDecision {
  // Chosen by the request's path; refusals are counted against it too.
  core::Protocol protocol = sig::v1::PROTOCOL_TD;
  // Empty when admitted; else why not, and the HTTP response.
  std::optional<core::LoginRejection> refusal;
  boost::beast::http::status status = boost::beast::http::status::switching_protocols;
  std::string body;  // JSON

  bool admitted() const { return !refusal.has_value(); }
};

// Decides an upgrade request, in this order: protocol by path; not serving (503, draining or
// shutting down); an Origin outside allowed_origins (403); a malformed opening handshake (400,
// CheckUpgradeRequest). Pure: no I/O, no counters, so it is unit-tested and fuzzed; the session
// counts the refusal, and takes a connection slot (EdgeContext::TryAdmitSession) only after
// this admits. Access tokens are not checked here but by the protocols, after the upgrade, so
// that a refused client hears why in a frame of its protocol instead of an HTTP 401 a browser
// hides (td's login message carries its token; PeerJS's is its `token` query parameter).
UpgradeDecision AdmitUpgrade(const HttpRequest& request, const AdmissionPolicy& policy);

}  // namespace sig::edge
