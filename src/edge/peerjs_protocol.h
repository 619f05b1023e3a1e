#pragma once

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "edge/bad_frame_budget.h"
#include "edge/protocol.h"
#include "edge/edge_context.h"

namespace sig::edge {

// The PeerJS protocol on one connection (docs: PeerJS protocol): the handshake checks on open,
// relay with the server-set src, holds for absent peers, and the HEARTBEAT liveness rule.
// Runs on its connection's executor.
class PeerJsProtocol final : public Protocol {
 public:
  // `target` is the upgrade request's target, whose query carries key, id and token.
  PeerJsProtocol(Connection& connection, EdgeContext& state, std::string_view target);

  core::Protocol kind() const override { return sig::v1::PROTOCOL_PEERJS; }
  void OnOpen() override;
  void OnText(std::string_view text) override;
  void OnRelayFailed(core::RelayFailure failure, std::string_view target) override;
  void OnClose(core::LeaveNotice notice) override;
  // Authenticated: 4005, as td; anonymous: 1000, as peerjs-server closes a reconnect's old socket.
  void OnReplaced() override;
  absl::Duration tick_interval() const override;
  void OnTick() override;

 private:
  void OnClaimed(core::ClaimResult result);
  // The one mapping from a refused handshake to what the client gets: ID-TAKEN or an ERROR with
  // the reference's text, then a close without a code; counted.
  void Refuse(core::LoginRejection rejection);

  Connection& connection_;
  EdgeContext& state_;
  BadFrameBudget bad_frames_;
  std::string key_;
  std::string id_;
  std::string token_;
  std::string realm_;
  bool registered_ = false;
  bool authenticated_ = false;  // opened with a valid token (auth on)
  bool closed_ = false;
  core::LeaveNotice leave_notice_ = core::LeaveNotice::kEveryone;  // as OnClose was told
  absl::Time last_heartbeat_;
};

}  // namespace sig::edge
