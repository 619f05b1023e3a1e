#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/peer.h"

namespace sig::testing {

// A core::Peer that records what it is sent. Thread-safe.
class FakePeer final : public core::Peer {
 public:
  void Deliver(core::Frame frame) override {
    core::MutexLock lock(&mu_);
    frames_.push_back(std::move(frame));
  }
  // Recorded as "code reason": the admin plane closes peers (DisconnectPeer).
  void Close(std::uint16_t code, std::string_view reason, core::DisconnectReason) override {
    core::MutexLock lock(&mu_);
    closes_.push_back(std::to_string(code) + " " + std::string(reason));
  }
  std::vector<std::string> Closes() const {
    core::MutexLock lock(&mu_);
    return closes_;
  }
  // Recorded as "failure_name:target".
  void RelayFailed(core::RelayFailure failure, std::string_view target) override {
    core::MutexLock lock(&mu_);
    failures_.push_back(std::string(core::Name(failure)) + ":" + std::string(target));
  }
  std::vector<std::string> Failures() const {
    core::MutexLock lock(&mu_);
    return failures_;
  }
  core::PeerInfo Info() const override { return {}; }
  std::vector<std::string> Texts() const {
    core::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& f : frames_) out.push_back(f->bytes);
    return out;
  }
  std::vector<core::Frame> Frames() const {
    core::MutexLock lock(&mu_);
    return frames_;
  }

 private:
  mutable core::Mutex mu_;
  std::vector<core::Frame> frames_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> closes_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sig::testing
