#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "core/peer.h"
#include "edge/protocol.h"

namespace sig::testing {

// A Connection (and the router's Peer for it) that records what a Protocol does with it, for
// protocol unit tests with no sockets.
class FakeConnection final : public edge::Connection, public core::Peer {
 public:
  explicit FakeConnection(std::uint64_t id) : id_(id) {}
  std::uint64_t id() const override { return id_; }
  std::string_view remote_address() const override { return "192.0.2.1:40000"; }
  void Send(core::Frame frame) override { sent.push_back(frame->bytes); }
  void Disconnect(core::CloseCode code, std::string_view, core::DisconnectReason why) override {
    closes.push_back(core::ToWire(code));
    reasons.push_back(why);
  }
  std::weak_ptr<core::Peer> AsPeer() override { return self; }
  core::Peer& peer() override { return *this; }
  // Runs at once: the tests' directory decides claims at once, on the test's thread.
  void Dispatch(absl::AnyInvocable<void() &&> fn) override { std::move(fn)(); }
  // Hands the failure to `protocol`, as WsSession does on its executor.
  void RelayFailed(core::RelayFailure failure, std::string_view target) override {
    if (protocol != nullptr) protocol->OnRelayFailed(failure, target);
  }
  void Deliver(core::Frame frame) override { sent.push_back(frame->bytes); }
  void Close(std::uint16_t code, std::string_view, core::DisconnectReason why) override {
    closes.push_back(code);
    reasons.push_back(why);
  }
  core::PeerInfo Info() const override { return {}; }

  std::string LastType() const {
    return std::string(boost::json::parse(sent.back()).at("type").as_string());
  }
  std::string LastError() const {
    return std::string(boost::json::parse(sent.back()).at("error").as_string());
  }

  // Set by the test to the shared_ptr that owns this object, and to the protocol under test.
  std::weak_ptr<core::Peer> self;
  edge::Protocol* protocol = nullptr;
  std::vector<std::string> sent;
  std::vector<std::uint16_t> closes;
  std::vector<core::DisconnectReason> reasons;  // one per close, beside closes

 private:
  std::uint64_t id_;
};

}  // namespace sig::testing
