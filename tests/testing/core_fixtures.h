#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/directory.h"
#include "core/frame.h"
#include "core/peer.h"
#include "core/router.h"
#include "gtest/gtest.h"

namespace sig::testing {

// Notices as plain text, so a test reads what a peer was told: "joined:b", "left:b",
// "expired:absent>sender".
class TextNotices final : public core::NoticeEncoder {
 public:
  core::Frame PeerJoined(std::string_view name) const override {
    return core::MakeFrame("joined:" + std::string(name), core::kOtherFrameType);
  }
  core::Frame PeerLeft(std::string_view name) const override {
    return core::MakeFrame("left:" + std::string(name), core::kOtherFrameType);
  }
  core::Frame Expired(std::string_view absent, std::string_view sender) const override {
    return core::MakeFrame("expired:" + std::string(absent) + ">" + std::string(sender),
                           core::kOtherFrameType);
  }
};

// A claim of `name` in `realm` for connection `id`, listing the realm's names.
inline core::ClaimRequest Claim(std::string_view realm, std::string_view name, std::uint64_t id,
                                std::shared_ptr<core::Peer> peer,
                                const core::NoticeEncoder* notices,
                                std::string_view token = {}) {
  core::ClaimRequest r;
  r.realm = realm;
  r.name = name;
  r.conn_id = id;
  r.peer = std::move(peer);
  r.notices = notices;
  r.token = token;
  r.list_names = true;
  return r;
}

// Runs `start(done)` and returns the result `done` got. The in-memory directory decides at once,
// so a claim that has not completed when `start` returns fails the test.
template <typename Start>
core::ClaimResult CompletedAtOnce(Start start) {
  std::optional<core::ClaimResult> got;
  start([&got](core::ClaimResult result) { got = std::move(result); });
  if (!got.has_value()) {
    ADD_FAILURE() << "the claim did not complete at once";
    return core::ClaimResult{core::ClaimOutcome::kUnavailable, {}, nullptr};
  }
  return *std::move(got);
}

inline core::ClaimResult JoinNow(core::Router& router, core::ClaimRequest request) {
  return CompletedAtOnce(
      [&](core::ClaimDone done) { router.Join(std::move(request), std::move(done)); });
}

inline core::ClaimResult ClaimNow(core::Directory& directory, core::ClaimRequest request) {
  return CompletedAtOnce(
      [&](core::ClaimDone done) { directory.Claim(std::move(request), std::move(done)); });
}

}  // namespace sig::testing
