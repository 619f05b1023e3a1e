#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sig::core {

// The ways a request can fail, as enums with one name table each. The names are the metric
// labels and, for td, the wire's error codes, so a failure is named once; what each outcome
// costs the peer (error frame, close code) is decided in one place per protocol.

// Why a login (td), handshake (PeerJS) or upgrade was refused.
enum class LoginRejection : std::uint8_t {
  kInvalidName,
  kInvalidRoom,
  kNameTaken,
  kMissingParams,
  kInvalidKey,
  kInvalidId,
  kInvalidToken,  // auth on: a token missing, bad, or for another name or room
  kIdTaken,
  kConcurrentLimit,
  kMaxConnections,
  kMaxConnectionsPerIp,
  kOrigin,
  kBadHandshake,
  kShuttingDown,
  kDraining,
  kUnavailable,  // the directory could not decide (a cluster's bus is down)
  kTokenExpired,  // auth on: the token's exp has passed, or its nbf is ahead
  kAuthBlocked,   // auth on: too many failed logins from the client's address
};
inline constexpr std::array<std::string_view, 18> kLoginRejectionNames = {
    "invalid_name",     "invalid_room",    "name_taken",  "missing_params",
    "invalid_key",      "invalid_id",      "invalid_token", "id_taken",
    "concurrent_limit", "max_connections", "max_connections_per_ip", "origin",
    "bad_handshake",    "shutting_down",   "draining",    "unavailable",
    "token_expired",    "auth_blocked"};

// Why a frame from a logged-in (or logging-in) peer was refused; the connection stays open.
enum class BadFrame : std::uint8_t {
  kInvalidJson,
  kInvalidMessage,
  kMissingType,
  kNotLoggedIn,
  kAlreadyLoggedIn,
  kUnknownType,
  kInvalidTarget,
};
inline constexpr std::array<std::string_view, 7> kBadFrameNames = {
    "invalid_json",      "invalid_message", "missing_type",  "not_logged_in",
    "already_logged_in", "unknown_type",    "invalid_target"};

// Why a relayed frame did not reach its target.
enum class RelayFailure : std::uint8_t {
  kTargetNotFound,
  kHoldLimit,  // the target is absent and the hold store is full
  kBusDown,    // the target is on another node and the cluster's bus is down or fenced
  kBusFull,    // the target is on another node and the bus's in-flight window is full
};
inline constexpr std::array<std::string_view, 4> kRelayFailureNames = {
    "target_not_found", "hold_limit", "bus_down", "bus_full"};

// Why an access token was refused (auth::TokenVerifier): a fixed set, so that the metric's
// labels are bounded and nothing of the token reaches a label or a log. kExpired and
// kNotYetValid tell the client to fetch a new token (token_expired); the rest are invalid_token.
enum class TokenFailure : std::uint8_t {
  kNone,
  kMissing,      // auth is on and no token came
  kTooLarge,     // longer than JWT_MAX_BYTES
  kMalformed,    // not three canonical base64url parts of JSON objects
  kUnknownKey,   // no key with that kid (or no kid while several keys are configured)
  kAlgorithm,    // the header's alg is not the one its kid is pinned to, or crit/typ refused
  kSignature,    // the signature does not verify
  kClaims,       // sub, room or exp missing or of the wrong type, or nbf/iat/aud of the wrong type
  kAudience,     // aud does not name JWT_AUDIENCE
  kExpired,      // exp (plus the leeway) has passed
  kNotYetValid,  // nbf (minus the leeway) is still ahead
  kMismatch,     // valid, but for another name or room than the login asks for
};
inline constexpr std::array<std::string_view, 12> kTokenFailureNames = {
    "none",      "missing", "too_large", "malformed", "unknown_key",   "algorithm",
    "signature", "claims",  "audience",  "expired",   "not_yet_valid", "mismatch"};
constexpr bool IsExpiry(TokenFailure f) {
  return f == TokenFailure::kExpired || f == TokenFailure::kNotYetValid;
}

// Why a WebSocket connection ended, counted once per connection when it does. The first cause
// decides: a peer closed for a bad frame whose socket then breaks counts as bad_input.
enum class DisconnectReason : std::uint8_t {
  kClientClose,     // the client sent the first close frame
  kConnectionLost,  // the socket ended or failed without a close handshake
  kPingTimeout,     // silent for two ping_interval periods
  kAliveTimeout,    // PeerJS: no HEARTBEAT within alive_timeout
  kLoginRefused,    // the login or PeerJS handshake was refused (name taken, bad token, ...)
  kReplaced,        // a newer session took the name over
  kKicked,          // an operator's DisconnectPeer
  kDrain,           // 1012 at the end of a drain's grace period
  kShutdown,        // 1001: the server stopped
  kFenced,          // 1012: a cluster node cut off from Redis stopped serving
  kSlowConsumer,    // 1013: the send queue overflowed
  kRateLimited,     // 1008: over the rate limit for rate_limit_grace
  kBadInput,        // 1008: too many bad frames
  kProtocolError,   // 1002, 1003, 1007, 1009: a frame that breaks the WebSocket rules or bounds
};
inline constexpr std::array<std::string_view, 14> kDisconnectReasonNames = {
    "client_close", "connection_lost", "ping_timeout", "alive_timeout", "login_refused",
    "replaced",     "kicked",          "drain",        "shutdown",      "fenced",
    "slow_consumer", "rate_limited",   "bad_input",    "protocol_error"};

template <typename Outcome>
constexpr std::size_t OutcomeIndex(Outcome outcome) {
  return static_cast<std::size_t>(outcome);
}

constexpr std::string_view Name(LoginRejection r) { return kLoginRejectionNames[OutcomeIndex(r)]; }
constexpr std::string_view Name(BadFrame b) { return kBadFrameNames[OutcomeIndex(b)]; }
constexpr std::string_view Name(RelayFailure f) { return kRelayFailureNames[OutcomeIndex(f)]; }
constexpr std::string_view Name(TokenFailure f) { return kTokenFailureNames[OutcomeIndex(f)]; }
constexpr std::string_view Name(DisconnectReason r) {
  return kDisconnectReasonNames[OutcomeIndex(r)];
}

}  // namespace sig::core
