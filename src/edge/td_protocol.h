#pragma once

#include <string>
#include <string_view>

#include "edge/bad_frame_budget.h"
#include "edge/protocol.h"
#include "edge/edge_context.h"

namespace sig::edge {

// The td protocol on one connection: login, relay by target, broadcasts, ping, and the answer to
// every kind of bad input (README "The td protocol"). Runs on its connection's executor.
class TdProtocol final : public Protocol {
 public:
  TdProtocol(Connection& connection, EdgeContext& state);

  core::Protocol kind() const override { return sig::v1::PROTOCOL_TD; }
  void OnText(std::string_view text) override;
  void OnRelayFailed(core::RelayFailure failure, std::string_view target) override;
  void OnClose(core::LeaveNotice notice) override;
  // Only an authenticated login takes a td name over: 4005.
  void OnReplaced() override;

 private:
  void Login(const TdCommand& cmd);
  void OnClaimed(core::ClaimResult result, std::string name, std::string realm);
  // The one mapping from a refused login to what the client gets: an error frame whose code is
  // the rejection's name, then the close (4000 for a taken name, 1013 when the directory cannot
  // decide, else 4001); counted.
  void Refuse(core::LoginRejection rejection, std::string_view message);
  // Answers a bad frame with an error frame whose code is its name; past the bad-frame budget,
  // closes with 1008. Counted.
  void Reject(core::BadFrame bad, std::string_view message);

  Connection& connection_;
  EdgeContext& state_;
  BadFrameBudget bad_frames_;
  std::string name_;  // empty until the login succeeds
  std::string realm_;
  bool logging_in_ = false;  // a claim is in flight
  bool closed_ = false;
  core::LeaveNotice leave_notice_ = core::LeaveNotice::kEveryone;  // as OnClose was told
};

}  // namespace sig::edge
