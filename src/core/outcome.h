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
  kInvalidToken,
  kIdTaken,
  kConcurrentLimit,
  kMaxConnections,
  kMaxConnectionsPerIp,
  kOrigin,
  kBadHandshake,
  kShuttingDown,
  kDraining,
  kUnavailable,  // the directory could not decide (a cluster's bus is down)
};
inline constexpr std::array<std::string_view, 16> kLoginRejectionNames = {
    "invalid_name",     "invalid_room",    "name_taken",  "missing_params",
    "invalid_key",      "invalid_id",      "invalid_token", "id_taken",
    "concurrent_limit", "max_connections", "max_connections_per_ip", "origin",
    "bad_handshake",    "shutting_down",   "draining",    "unavailable"};

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

template <typename Outcome>
constexpr std::size_t OutcomeIndex(Outcome outcome) {
  return static_cast<std::size_t>(outcome);
}

constexpr std::string_view Name(LoginRejection r) { return kLoginRejectionNames[OutcomeIndex(r)]; }
constexpr std::string_view Name(BadFrame b) { return kBadFrameNames[OutcomeIndex(b)]; }
constexpr std::string_view Name(RelayFailure f) { return kRelayFailureNames[OutcomeIndex(f)]; }

}  // namespace sig::core
