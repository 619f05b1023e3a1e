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
  void Close(std::uint16_t code, std::string_view) override {
    core::MutexLock lock(&mu_);
    close_codes_.push_back(code);
  }
  std::vector<std::string> Texts() const {
    core::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& f : frames_) out.push_back(*f);
    return out;
  }
  std::vector<core::Frame> Frames() const {
    core::MutexLock lock(&mu_);
    return frames_;
  }
  std::vector<std::uint16_t> CloseCodes() const {
    core::MutexLock lock(&mu_);
    return close_codes_;
  }

 private:
  mutable core::Mutex mu_;
  std::vector<core::Frame> frames_ ABSL_GUARDED_BY(mu_);
  std::vector<std::uint16_t> close_codes_ ABSL_GUARDED_BY(mu_);
};

// Matchers for absl::Status in tests (Debian's Abseil has no status_matchers.h).
#define SIG_ASSERT_OK(expr)                         \
  do {                                              \
    const auto& sig_status_ = (expr);               \
    ASSERT_TRUE(sig_status_.ok()) << sig_status_;   \
  } while (0)

}  // namespace sig::testing
