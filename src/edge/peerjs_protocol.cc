#include "edge/peerjs_protocol.h"

#include <utility>

#include "core/log.h"
#include "core/name.h"
#include "edge/peerjs_codec.h"
#include "edge/join.h"
#include "edge/login_auth.h"
#include "edge/query.h"
#include "core/envelope.h"

namespace sig::edge {

PeerJsProtocol::PeerJsProtocol(Connection& connection, EdgeContext& state, std::string_view target)
    : connection_(connection),
      state_(state),
      bad_frames_(state.limits, state.clock),
      last_heartbeat_(state.clock.Now()) {
  auto params = ParseQuery(target);
  key_ = std::move(params["key"]);
  id_ = std::move(params["id"]);
  token_ = std::move(params["token"]);
}

void PeerJsProtocol::Refuse(core::LoginRejection rejection) {
  state_.stats.CountRejection(sig::v1::PROTOCOL_PEERJS, rejection);
  std::string frame;
  core::FrameType type = PeerJsType::kError;
  switch (rejection) {
    case core::LoginRejection::kMissingParams:
      frame = PeerJsCodec::Error("No id, token, or key supplied to websocket server");
      break;
    case core::LoginRejection::kInvalidKey:
      frame = PeerJsCodec::Error("Invalid key provided");
      break;
    case core::LoginRejection::kInvalidId:
      frame = PeerJsCodec::Error("Invalid id provided");
      break;
    case core::LoginRejection::kInvalidToken:
      frame = PeerJsCodec::Error("Invalid token provided");
      break;
    case core::LoginRejection::kTokenExpired:
      frame = PeerJsCodec::Error("Token expired");
      break;
    case core::LoginRejection::kAuthBlocked:
      // Not peerjs-server's (it has no auth); a policy close, as td's.
      connection_.Send(core::MakeFrame(PeerJsCodec::Error("Too many failed logins"), type));
      connection_.Disconnect(core::CloseCode::kPolicy, "too many failed logins",
                             core::DisconnectReason::kLoginRefused);
      return;
    case core::LoginRejection::kIdTaken:
      frame = PeerJsCodec::IdTaken();
      type = PeerJsType::kIdTaken;
      break;
    case core::LoginRejection::kConcurrentLimit:
      frame = PeerJsCodec::Error("Server has reached its concurrent user limit");
      break;
    default:
      frame = PeerJsCodec::Error("Server is unavailable, try again later");
      break;
  }
  connection_.Send(core::MakeFrame(std::move(frame), type));
  connection_.Disconnect(core::CloseCode::kNoStatus, "", core::DisconnectReason::kLoginRefused);
}

// The checks in peerjs-server's order, with its exact texts.
void PeerJsProtocol::OnOpen() {
  if (id_.empty() || token_.empty() || key_.empty()) {
    return Refuse(core::LoginRejection::kMissingParams);
  }
  if (key_ != state_.peerjs.key) return Refuse(core::LoginRejection::kInvalidKey);
  // Not checks of the reference, which takes any bytes: an id is copied into the src of every
  // frame its holder sends and into {prefix}/{key}/peers, where bytes that are not UTF-8 make
  // the recipient's client drop its connection. Ids follow td's name rules; one that is not in
  // its canonical form (NFC) is refused rather than changed, since the client cannot learn of
  // a changed id. The stock client's own ids are ASCII letters, digits, '-', '_' and spaces.
  if (absl::StatusOr<std::string> canonical = core::CanonicalName(id_, state_.limits.max_name_chars);
      !canonical.ok() || *canonical != id_) {
    return Refuse(core::LoginRejection::kInvalidId);
  }
  if (!core::IsPrintableUtf8(token_)) return Refuse(core::LoginRejection::kInvalidToken);
  // Auth on: the token is a JWT for this id (sub) and key (room), and any later valid token for
  // the id takes it over; off, it is the reconnect secret it always was.
  const LoginAuth auth = CheckLoginToken(state_, sig::v1::PROTOCOL_PEERJS, token_, id_, key_,
                                         connection_.remote_address());
  if (!auth.ok()) return Refuse(auth.rejection());
  authenticated_ = auth.authenticated();
  const std::string takeover = authenticated_ ? auth.takeover_secret() : token_;
  realm_ = PeerJsOptions::Realm(key_);
  core::ClaimRequest request;
  request.protocol = sig::v1::PROTOCOL_PEERJS;
  request.realm = realm_;
  request.name = id_;
  request.conn_id = connection_.id();
  request.peer = connection_.AsPeer();
  request.notices = &state_.peerjs_codec;
  request.token = takeover;
  request.issued = auth.issued();
  request.max_members = state_.limits.peerjs_concurrent_limit;
  JoinOnConnection(connection_, state_.router, std::move(request),
                   [this](core::ClaimResult result) { OnClaimed(std::move(result)); });
}

void PeerJsProtocol::OnClaimed(core::ClaimResult result) {
  switch (result.outcome) {
    case core::ClaimOutcome::kClaimed:
      break;
    case core::ClaimOutcome::kTaken:
      return Refuse(core::LoginRejection::kIdTaken);
    case core::ClaimOutcome::kRealmFull:
      return Refuse(core::LoginRejection::kConcurrentLimit);
    case core::ClaimOutcome::kUnavailable:
      return Refuse(core::LoginRejection::kUnavailable);
  }
  if (closed_) {
    // The connection went while the claim was in flight.
    state_.router.Leave(realm_, id_, connection_.id(), leave_notice_);
    return;
  }
  registered_ = true;
  state_.stats.CountLogin(sig::v1::PROTOCOL_PEERJS);
  LogJoined(connection_, sig::v1::PROTOCOL_PEERJS, realm_, id_);
  state_.stats.AddPeers(sig::v1::PROTOCOL_PEERJS, 1);
  last_heartbeat_ = state_.clock.Now();
  // OPEN goes out now; the router hands over the frames held for this id after it.
  connection_.Send(core::MakeFrame(PeerJsCodec::Open(), PeerJsType::kOpen));
  // Same id and token: a reconnect. The old socket is closed, not orphaned (reference quirk 2).
  if (result.replaced) result.replaced->Replaced();
}

void PeerJsProtocol::OnReplaced() {
  if (authenticated_) {
    connection_.Disconnect(core::CloseCode::kReplaced, "replaced", core::DisconnectReason::kReplaced);
  } else {
    connection_.Disconnect(core::CloseCode::kNormal, "replaced by a new connection",
                           core::DisconnectReason::kReplaced);
  }
}

void PeerJsProtocol::OnText(std::string_view text) {
  if (!registered_) return;
  PeerJsCommand cmd = state_.peerjs_codec.Decode(text, id_);
  const core::FrameType type = kPeerJsTypes.Classify(cmd.type);
  state_.stats.CountFrameIn(sig::v1::PROTOCOL_PEERJS, type, text.size());
  switch (cmd.kind) {
    case PeerJsCommand::Kind::kHeartbeat:
      last_heartbeat_ = state_.clock.Now();
      return;
    case PeerJsCommand::Kind::kIgnored:
      return;
    case PeerJsCommand::Kind::kBad:
      // No ERROR frame: the client treats ERROR as fatal. The frame is dropped, reading goes on
      // (reference quirk 1), and a stream of them closes the peer with 1008.
      state_.stats.CountBadFrame(sig::v1::PROTOCOL_PEERJS, cmd.bad_frame);
      bad_frames_.Charge(connection_, core::Name(cmd.bad_frame));
      return;
    case PeerJsCommand::Kind::kRelay: {
      sig::v1::Envelope& envelope = core::ThreadEnvelope();
      core::SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, realm_, id_, cmd.dst, cmd.type, type,
                        std::move(cmd.frame), core::MonotonicNanos());
      envelope.set_hold_if_absent(cmd.hold);
      state_.router.Route(envelope, connection_.peer(), &state_.peerjs_codec);
      return;
    }
  }
}

void PeerJsProtocol::OnRelayFailed(core::RelayFailure failure, std::string_view target) {
  // A LEAVE or EXPIRE for an absent peer is dropped without a word, as the reference does.
  if (failure == core::RelayFailure::kTargetNotFound) return;
  // A full hold store, or a peer on another node the bus cannot reach now: the sender learns
  // at once that the peer is unavailable.
  state_.stats.CountRelayFailure(failure);
  connection_.Send(state_.peerjs_codec.Expired(target, id_));
}

void PeerJsProtocol::OnClose(core::LeaveNotice notice) {
  closed_ = true;
  leave_notice_ = notice;
  if (!registered_) return;
  // After a same-token takeover this Leave no longer matches and changes nothing.
  state_.router.Leave(realm_, id_, connection_.id(), notice);
  state_.stats.AddPeers(sig::v1::PROTOCOL_PEERJS, -1);
  registered_ = false;
}

absl::Duration PeerJsProtocol::tick_interval() const {
  // Checks a few times per timeout: closes within about 1/8 of it, at most 10 s late.
  return std::clamp(state_.limits.peerjs_alive_timeout / 8, absl::Milliseconds(20),
                    absl::Seconds(10));
}

void PeerJsProtocol::OnTick() {
  if (!registered_) return;
  if (state_.clock.Now() - last_heartbeat_ >= state_.limits.peerjs_alive_timeout) {
    core::LogDebug("conn ", connection_.id(), ": no HEARTBEAT within the alive timeout, closing");
    connection_.Disconnect(core::CloseCode::kNoStatus, "", core::DisconnectReason::kAliveTimeout);
  }
}

}  // namespace sig::edge
