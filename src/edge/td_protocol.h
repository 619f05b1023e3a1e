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
  void OnClose() override;

 private:
  void Login(const TdCommand& cmd);
  // Answers a bad frame with an error frame; past the bad-frame budget, closes with 1008.
  void Reject(std::string_view error, std::string_view message);

  Connection& connection_;
  EdgeContext& state_;
  BadFrameBudget bad_frames_;
  std::string name_;  // empty until the login succeeds
  std::string realm_;
};

}  // namespace sig::edge
