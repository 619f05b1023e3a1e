#include "edge/td_protocol.h"

#include <utility>

#include "absl/time/time.h"
#include "core/strings.h"
#include "core/envelope.h"

namespace sig::edge {

TdProtocol::TdProtocol(Connection& connection, EdgeContext& state)
    : connection_(connection),
      state_(state),
      bad_frames_(state.limits, state.clock) {}

void TdProtocol::OnText(std::string_view text) {
  TdCommand cmd = state_.td_codec.Decode(text, name_);
  state_.stats.CountFrameIn(sig::v1::PROTOCOL_TD, core::ClassifyFrameType(cmd.type),
                            text.size());
  switch (cmd.kind) {
    case TdCommand::Kind::kLogin:
      Login(cmd);
      return;
    case TdCommand::Kind::kPing:
      connection_.Send(core::MakeFrame(TdCodec::Pong(absl::ToUnixMillis(state_.clock.Now())),
                                       core::FrameType::kPong));
      return;
    case TdCommand::Kind::kRelay: {
      sig::v1::Envelope& envelope = core::ThreadEnvelope();
      core::SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, realm_, name_, cmd.target, cmd.type,
                        std::move(cmd.frame), core::MonotonicNanos());
      if (absl::Status s = state_.router.Route(envelope); !s.ok()) {
        state_.stats.CountRelayFailure("target_not_found");
        connection_.Send(
            core::MakeFrame(TdCodec::TargetNotFound(cmd.target), core::FrameType::kError));
      }
      return;
    }
    case TdCommand::Kind::kBroadcast: {
      // A broadcast cannot miss: there is no status to act on.
      sig::v1::Envelope& envelope = core::ThreadEnvelope();
      core::SetEnvelope(envelope, sig::v1::ROUTE_BROADCAST, realm_, name_, {}, cmd.type,
                        std::move(cmd.frame), core::MonotonicNanos());
      (void)state_.router.Route(envelope);
      return;
    }
    case TdCommand::Kind::kBadLogin:
      state_.stats.CountRejection(sig::v1::PROTOCOL_TD, cmd.error);
      connection_.Send(core::MakeFrame(TdCodec::Error(cmd.error, cmd.message), core::FrameType::kError));
      connection_.Disconnect(core::CloseCode::kInvalidName, cmd.error);
      return;
    case TdCommand::Kind::kBadFrame:
      Reject(cmd.error, cmd.message);
      return;
  }
}

void TdProtocol::Login(const TdCommand& cmd) {
  std::string realm = TdCodec::Realm(cmd.room);
  core::Router::JoinRequest request;
  request.protocol = sig::v1::PROTOCOL_TD;
  request.realm = realm;
  request.name = cmd.name;
  request.conn_id = connection_.id();
  request.peer = connection_.AsPeer();
  request.notices = &state_.td_codec;
  request.list_names = true;
  auto joined = state_.router.Join(std::move(request));
  if (!joined.ok()) {
    state_.stats.CountRejection(sig::v1::PROTOCOL_TD, "name_taken");
    connection_.Send(
        core::MakeFrame(TdCodec::Error("name_taken", core::ToStd(joined.status().message())),
                        core::FrameType::kError));
    connection_.Disconnect(core::CloseCode::kNameTaken, "name_taken");
    return;
  }
  state_.stats.CountLogin(sig::v1::PROTOCOL_TD);
  state_.stats.AddPeers(sig::v1::PROTOCOL_TD, 1);
  name_ = cmd.name;
  realm_ = std::move(realm);
  connection_.Send(
      core::MakeFrame(TdCodec::LoginSuccess(name_, joined->names), core::FrameType::kLoginSuccess));
}

void TdProtocol::Reject(std::string_view error, std::string_view message) {
  state_.stats.CountBadFrame(sig::v1::PROTOCOL_TD, error);
  connection_.Send(core::MakeFrame(TdCodec::Error(error, message), core::FrameType::kError));
  bad_frames_.Charge(connection_, error);
}

void TdProtocol::OnClose() {
  if (name_.empty()) return;
  state_.router.Leave(realm_, name_, connection_.id());
  state_.stats.AddPeers(sig::v1::PROTOCOL_TD, -1);
  name_.clear();
}

}  // namespace sig::edge
