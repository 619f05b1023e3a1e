#include "edge/peerjs_protocol.h"

#include <utility>

#include "core/log.h"
#include "core/name.h"
#include "edge/peerjs_codec.h"
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

void PeerJsProtocol::Refuse(std::string_view reason, std::string frame, core::FrameType type) {
  state_.stats.CountRejection(sig::v1::PROTOCOL_PEERJS, reason);
  connection_.Send(core::MakeFrame(std::move(frame), type));
  connection_.Disconnect(core::CloseCode::kNoStatus, "");
}

// The checks in peerjs-server's order, with its exact texts.
void PeerJsProtocol::OnOpen() {
  if (id_.empty() || token_.empty() || key_.empty()) {
    Refuse("missing_params", PeerJsCodec::Error("No id, token, or key supplied to websocket server"));
    return;
  }
  if (key_ != state_.peerjs.key) {
    Refuse("invalid_key", PeerJsCodec::Error("Invalid key provided"));
    return;
  }
  // Not checks of the reference, which takes any bytes: an id is copied into the src of every
  // frame its holder sends and into {prefix}/{key}/peers, where bytes that are not UTF-8 make
  // the recipient's client drop its connection. Ids follow td's name rules; one that is not in
  // its canonical form (NFC) is refused rather than changed, since the client cannot learn of
  // a changed id. The stock client's own ids are ASCII letters, digits, '-', '_' and spaces.
  if (absl::StatusOr<std::string> canonical = core::CanonicalName(id_, state_.limits.max_name_chars);
      !canonical.ok() || *canonical != id_) {
    Refuse("invalid_id", PeerJsCodec::Error("Invalid id provided"));
    return;
  }
  if (!core::IsPrintableUtf8(token_)) {
    Refuse("invalid_token", PeerJsCodec::Error("Invalid token provided"));
    return;
  }
  realm_ = PeerJsOptions::Realm(key_);
  core::Router::JoinRequest request;
  request.protocol = sig::v1::PROTOCOL_PEERJS;
  request.realm = realm_;
  request.name = id_;
  request.conn_id = connection_.id();
  request.peer = connection_.AsPeer();
  request.notices = &state_.peerjs_codec;
  request.token = token_;
  request.max_members = state_.limits.peerjs_concurrent_limit;
  auto joined = state_.router.Join(std::move(request));
  if (!joined.ok()) {
    if (absl::IsAlreadyExists(joined.status())) {
      Refuse("id_taken", PeerJsCodec::IdTaken(), core::FrameType::kIdTaken);
    } else {
      Refuse("concurrent_limit",
             PeerJsCodec::Error("Server has reached its concurrent user limit"));
    }
    return;
  }
  registered_ = true;
  state_.stats.CountLogin(sig::v1::PROTOCOL_PEERJS);
  state_.stats.AddPeers(sig::v1::PROTOCOL_PEERJS, 1);
  last_heartbeat_ = state_.clock.Now();
  // OPEN goes out now; frames held for this id were posted by Join and follow it.
  connection_.Send(core::MakeFrame(PeerJsCodec::Open(), core::FrameType::kOpen));
  if (joined->replaced) {
    // Same id and token: a reconnect. The old socket is closed, not orphaned (reference quirk 2).
    joined->replaced->Close(core::ToWire(core::CloseCode::kNormal), "replaced by a new connection");
  }
}

void PeerJsProtocol::OnText(std::string_view text) {
  if (!registered_) return;
  PeerJsCommand cmd = state_.peerjs_codec.Decode(text, id_);
  state_.stats.CountFrameIn(sig::v1::PROTOCOL_PEERJS, core::ClassifyFrameType(cmd.type),
                            text.size());
  switch (cmd.kind) {
    case PeerJsCommand::Kind::kHeartbeat:
      last_heartbeat_ = state_.clock.Now();
      return;
    case PeerJsCommand::Kind::kIgnored:
      return;
    case PeerJsCommand::Kind::kBad:
      // No ERROR frame: the client treats ERROR as fatal. The frame is dropped, reading goes on
      // (reference quirk 1), and a stream of them closes the peer with 1008.
      state_.stats.CountBadFrame(sig::v1::PROTOCOL_PEERJS, cmd.reason);
      bad_frames_.Charge(connection_, cmd.reason);
      return;
    case PeerJsCommand::Kind::kRelay: {
      sig::v1::Envelope& envelope = core::ThreadEnvelope();
      core::SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, realm_, id_, cmd.dst, cmd.type,
                        std::move(cmd.frame), core::MonotonicNanos());
      envelope.set_hold_if_absent(cmd.hold);
      absl::Status s = state_.router.Route(envelope, &state_.peerjs_codec);
      // Over the hold limits: the sender learns at once that the peer is unavailable.
      if (absl::IsResourceExhausted(s)) {
        state_.stats.CountRelayFailure("hold_limit");
        connection_.Send(state_.peerjs_codec.Expired(cmd.dst, id_));
      }
      return;
    }
  }
}

void PeerJsProtocol::OnClose() {
  if (!registered_) return;
  // After a same-token takeover this Leave no longer matches and changes nothing.
  state_.router.Leave(realm_, id_, connection_.id());
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
    core::LogInfo("conn ", connection_.id(), ": no HEARTBEAT within the alive timeout, closing");
    connection_.Disconnect(core::CloseCode::kNoStatus, "");
  }
}

}  // namespace sig::edge
