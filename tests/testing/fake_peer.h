#pragma once

#include <cstdint>
#include <string>
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
  // The router never closes peers itself; nothing to record yet.
  void Close(std::uint16_t, std::string_view) override {}
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
};

}  // namespace sig::testing
