#include "edge/td_protocol.h"

#include <utility>

#include "absl/time/time.h"
#include "core/envelope.h"
#include "core/strings.h"
#include "edge/join.h"
#include "edge/login_auth.h"
#include "core/name.h"

namespace sig::edge {
namespace {

core::CloseCode CloseFor(core::LoginRejection rejection) {
  switch (rejection) {
    case core::LoginRejection::kNameTaken:
      return core::CloseCode::kNameTaken;
    case core::LoginRejection::kUnavailable:
      return core::CloseCode::kTryAgainLater;
    case core::LoginRejection::kInvalidToken:
      return core::CloseCode::kInvalidToken;
    case core::LoginRejection::kTokenExpired:
      return core::CloseCode::kTokenExpired;
    case core::LoginRejection::kAuthBlocked:
      return core::CloseCode::kPolicy;
    default:
      return core::CloseCode::kInvalidName;
  }
}

}  // namespace

TdProtocol::TdProtocol(Connection& connection, EdgeContext& state)
    : connection_(connection),
      state_(state),
      bad_frames_(state.limits, state.clock) {}

void TdProtocol::OnText(std::string_view text) {
  // While the claim is in flight, frames are read as from a client not yet logged in.
  TdCommand cmd = state_.td_codec.Decode(text, name_);
  const core::FrameType type = kTdTypes.Classify(cmd.type);
  state_.stats.CountFrameIn(sig::v1::PROTOCOL_TD, type, text.size());
  switch (cmd.kind) {
    case TdCommand::Kind::kLogin:
      if (logging_in_) return Reject(core::BadFrame::kAlreadyLoggedIn, "already logged in");
      Login(cmd);
      return;
    case TdCommand::Kind::kPing:
      connection_.Send(core::MakeFrame(TdCodec::Pong(absl::ToUnixMillis(state_.clock.Now())),
                                       TdType::kPong));
      return;
    case TdCommand::Kind::kRelay: {
      sig::v1::Envelope& envelope = core::ThreadEnvelope();
      core::SetEnvelope(envelope, sig::v1::ROUTE_DIRECT, realm_, name_, cmd.target, cmd.type, type,
                        std::move(cmd.frame), core::MonotonicNanos());
      state_.router.Route(envelope, connection_.peer());
      return;
    }
    case TdCommand::Kind::kBroadcast: {
      sig::v1::Envelope& envelope = core::ThreadEnvelope();
      core::SetEnvelope(envelope, sig::v1::ROUTE_BROADCAST, realm_, name_, {}, cmd.type, type,
                        std::move(cmd.frame), core::MonotonicNanos());
      state_.router.Route(envelope, connection_.peer());
      return;
    }
    case TdCommand::Kind::kBadLogin:
      Refuse(cmd.rejection, cmd.message);
      return;
    case TdCommand::Kind::kBadFrame:
      Reject(cmd.bad_frame, cmd.message);
      return;
  }
}

void TdProtocol::Login(const TdCommand& cmd) {
  // Name syntax (the codec), then the token, then whether it is for this name and room, and
  // only then whether the name is taken: an anonymous client cannot probe who is online.
  LoginAuth auth = CheckLoginToken(state_, sig::v1::PROTOCOL_TD, cmd.token, cmd.name, cmd.room,
                                   connection_.remote_address());
  if (!auth.ok()) {
    return Refuse(auth.rejection(), auth.blocked ? "too many failed logins from this address"
                                    : core::IsExpiry(auth.failure)
                                        ? "the token has expired"
                                        : "the token is not valid for this name and room");
  }
  std::string name = cmd.name;
  if (name.empty()) {
    if (!auth.authenticated()) {
      return Refuse(core::LoginRejection::kInvalidName, "\"name\" must be a string");
    }
    absl::StatusOr<std::string> canonical =
        core::CanonicalName(auth.identity.subject, state_.limits.max_name_chars);
    if (!canonical.ok() || *canonical != auth.identity.subject) {
      return Refuse(core::LoginRejection::kInvalidName, "the token's sub is not a valid name");
    }
    name = *std::move(canonical);
  }
  const std::string takeover = auth.takeover_secret();
  std::string realm = TdCodec::Realm(cmd.room);
  core::ClaimRequest request;
  request.protocol = sig::v1::PROTOCOL_TD;
  request.realm = realm;
  request.name = name;
  request.token = takeover;
  request.issued = auth.issued();
  request.conn_id = connection_.id();
  request.peer = connection_.AsPeer();
  request.notices = &state_.td_codec;
  request.list_names = true;
  logging_in_ = true;
  JoinOnConnection(connection_, state_.router, std::move(request),
                   [this, name, realm](
                       core::ClaimResult result) mutable {
                     OnClaimed(std::move(result), std::move(name), std::move(realm));
                   });
}

void TdProtocol::OnClaimed(core::ClaimResult result, std::string name, std::string realm) {
  logging_in_ = false;
  switch (result.outcome) {
    case core::ClaimOutcome::kClaimed:
      break;
    case core::ClaimOutcome::kUnavailable:
      return Refuse(core::LoginRejection::kUnavailable, "logins are not possible right now");
    case core::ClaimOutcome::kTaken:
    case core::ClaimOutcome::kRealmFull:
      return Refuse(core::LoginRejection::kNameTaken, core::StrCat("name is taken: ", name));
  }
  if (closed_) {
    // The connection went while the claim was in flight.
    state_.router.Leave(realm, name, connection_.id(), leave_notice_);
    return;
  }
  state_.stats.CountLogin(sig::v1::PROTOCOL_TD);
  LogJoined(connection_, sig::v1::PROTOCOL_TD, realm, name);
  state_.stats.AddPeers(sig::v1::PROTOCOL_TD, 1);
  name_ = std::move(name);
  realm_ = std::move(realm);
  std::string ice;
  if (state_.turn != nullptr) {
    // The name is the TURN user: coturn's logs and user-quota see who relays.
    const auth::TurnCredential credential = state_.turn->Mint(name_, state_.clock.Now());
    ice = core::StrCat(R"(,"iceServers":)", state_.turn->IceServersJson(credential),
                       R"(,"iceServersExpireAt":)", absl::ToUnixSeconds(credential.expires));
    state_.stats.CountTurnIssued(core::Stats::TurnVia::kLogin);
  }
  connection_.Send(
      core::MakeFrame(TdCodec::LoginSuccess(name_, result.names, ice), TdType::kLoginSuccess));
  // A login with a valid token for the same subject: the session it replaces is closed (4005).
  if (result.replaced) result.replaced->Replaced();
}

void TdProtocol::OnReplaced() {
  connection_.Disconnect(core::CloseCode::kReplaced, "replaced", core::DisconnectReason::kReplaced);
}

void TdProtocol::Refuse(core::LoginRejection rejection, std::string_view message) {
  state_.stats.CountRejection(sig::v1::PROTOCOL_TD, rejection);
  connection_.Send(
      core::MakeFrame(TdCodec::Error(core::Name(rejection), message), TdType::kError));
  connection_.Disconnect(CloseFor(rejection), core::Name(rejection),
                         core::DisconnectReason::kLoginRefused);
}

void TdProtocol::Reject(core::BadFrame bad, std::string_view message) {
  state_.stats.CountBadFrame(sig::v1::PROTOCOL_TD, bad);
  connection_.Send(
      core::MakeFrame(TdCodec::Error(core::Name(bad), message), TdType::kError));
  bad_frames_.Charge(connection_, core::Name(bad));
}

void TdProtocol::OnRelayFailed(core::RelayFailure failure, std::string_view target) {
  // A broadcast cannot fail, and td holds nothing: the client hears target_not_found whatever
  // the reason (also while a cluster's bus is down, when the target may still be there; the
  // metric says why).
  state_.stats.CountRelayFailure(failure);
  connection_.Send(core::MakeFrame(TdCodec::TargetNotFound(target), TdType::kError));
}

void TdProtocol::OnClose(core::LeaveNotice notice) {
  closed_ = true;
  leave_notice_ = notice;
  if (name_.empty()) return;
  state_.router.Leave(realm_, name_, connection_.id(), notice);
  state_.stats.AddPeers(sig::v1::PROTOCOL_TD, -1);
  name_.clear();
}

}  // namespace sig::edge
