#include "edge/td_protocol.h"

#include <utility>

#include "absl/time/time.h"
#include "core/log.h"
#include "core/strings.h"
#include "sig/v1/envelope.pb.h"

namespace sig::edge {

TdProtocol::TdProtocol(Connection& connection, SharedState& state)
    : connection_(connection),
      state_(state),
      bad_frames_(state.limits.bad_frame_burst, state.limits.bad_frame_refill, state.clock.Now()) {}

void TdProtocol::OnText(std::string_view text) {
  TdCommand cmd = state_.td_codec.Decode(text, logged_in_);
  switch (cmd.kind) {
    case TdCommand::Kind::kLogin:
      Login(cmd);
      return;
    case TdCommand::Kind::kPing:
      connection_.Send(core::MakeFrame(TdCodec::Pong(absl::ToUnixMillis(state_.clock.Now()))));
      return;
    case TdCommand::Kind::kRelay: {
      sig::v1::Envelope envelope;
      envelope.set_route(sig::v1::ROUTE_DIRECT);
      envelope.set_realm(realm_);
      envelope.set_from(name_);
      envelope.set_to(cmd.target);
      envelope.set_type(std::move(cmd.type));
      envelope.set_frame(TdCodec::StampSender(text, name_));
      if (absl::Status s = state_.router.Route(std::move(envelope)); !s.ok()) {
        connection_.Send(core::MakeFrame(TdCodec::TargetNotFound(cmd.target)));
      }
      return;
    }
    case TdCommand::Kind::kBroadcast: {
      sig::v1::Envelope envelope;
      envelope.set_route(sig::v1::ROUTE_BROADCAST);
      envelope.set_realm(realm_);
      envelope.set_from(name_);
      envelope.set_type(std::move(cmd.type));
      envelope.set_frame(TdCodec::StampSender(text, name_));
      (void)state_.router.Route(std::move(envelope));  // a broadcast cannot miss
      return;
    }
    case TdCommand::Kind::kBadLogin:
      connection_.Send(core::MakeFrame(TdCodec::Error(cmd.error, cmd.message)));
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
  request.realm = realm;
  request.name = cmd.name;
  request.conn_id = connection_.id();
  request.peer = connection_.AsPeer();
  request.notices = &state_.td_codec;
  request.list_names = true;
  auto joined = state_.router.Join(std::move(request));
  if (!joined.ok()) {
    connection_.Send(
        core::MakeFrame(TdCodec::Error("name_taken", core::ToStd(joined.status().message()))));
    connection_.Disconnect(core::CloseCode::kNameTaken, "name_taken");
    return;
  }
  logged_in_ = true;
  name_ = cmd.name;
  realm_ = std::move(realm);
  connection_.Send(core::MakeFrame(TdCodec::LoginSuccess(name_, joined->names)));
}

void TdProtocol::Reject(std::string_view error, std::string_view message) {
  connection_.Send(core::MakeFrame(TdCodec::Error(error, message)));
  if (!bad_frames_.TryTake(state_.clock.Now())) {
    core::LogWarning("conn ", connection_.id(), ": too many bad frames, closing (last: ", error,
                     ")");
    connection_.Disconnect(core::CloseCode::kPolicy, "too many bad frames");
  }
}

void TdProtocol::OnClose() {
  if (logged_in_) state_.router.Leave(realm_, name_, connection_.id());
  logged_in_ = false;
}

}  // namespace sig::edge
