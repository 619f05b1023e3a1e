#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/status.hpp>

#include "absl/time/time.h"
#include "auth/token_verifier.h"
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
  const auth::TokenVerifier* verifier = nullptr;               // null: auth off
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
  // Admitted: who the credentials prove the client is (anonymous while auth is off).
  auth::Identity identity;

  bool admitted() const { return !refusal.has_value(); }
};

// Decides an upgrade request, in this order: protocol by path; not serving (503, draining or
// shutting down); an Origin outside allowed_origins (403); a malformed opening handshake (400,
// CheckUpgradeRequest); then the access token, when the verifier checks tokens (401). The token
// is the `token` query parameter (PeerJS's, and the same name for td) or an
// `Authorization: Bearer` header. Pure: no I/O, no counters, so it is unit-tested and fuzzed;
// the session counts the refusal, and takes a connection slot (EdgeContext::TryAdmitSession)
// only after this admits. This is the one place where an access token is checked.
UpgradeDecision AdmitUpgrade(const HttpRequest& request, const AdmissionPolicy& policy);

}  // namespace sig::edge
