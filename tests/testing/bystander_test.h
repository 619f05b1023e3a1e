#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "absl/time/clock.h"
#include "core/stats.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/test_server.h"

namespace sig::testing {

// Fixture base for hostile-client tests: a pair of well-behaved td peers in their own room that
// must keep relaying whatever an offender does beside them.
class BystanderTest : public ServerTest {
 protected:
  void TearDown() override {
    // Close the bystanders first so shutdown does not wait out its grace period for them.
    x_.reset();
    y_.reset();
    ServerTest::TearDown();
  }

  void StartBystanders() {
    x_ = LoggedIn("bystander-x", "quiet");
    y_ = LoggedIn("bystander-y", "quiet");
    ASSERT_TRUE(x_ && y_);
    ASSERT_TRUE(x_->ReadType("peer_connected").ok());
  }

  // One relay between the bystanders still works.
  void ExpectBystandersRelay() {
    ASSERT_TRUE(x_->Send(R"({"type":"offer","target":"bystander-y","probe":1})").ok());
    auto got = y_->ReadJson();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Str(*got, "from"), "bystander-x");
  }

  // Whether sig_closes_total{code} reaches `n`. The server thread counts a close while the
  // client may already be reading it, so this waits, bounded by kWait.
  bool ClosesReach(std::uint16_t code, std::uint64_t n) {
    const auto& codes = core::Stats::kCloseCodes;
    const auto at = static_cast<std::size_t>(std::find(codes.begin(), codes.end(), code) -
                                             codes.begin());
    const core::Stats& stats = server_->state().stats;
    return Eventually([&] { return stats.closes(at) >= n; }) && stats.closes(at) == n;
  }

  // `offender` is closed with `code` and the close is counted; then the bystanders still relay.
  void ExpectClosedCountedAndBystandersRelay(WsClient& offender, std::uint16_t code) {
    auto closed = offender.WaitClose();
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_EQ(*closed, code);
    EXPECT_TRUE(ClosesReach(code, 1)) << "sig_closes_total{code=" << code << "}";
    ExpectBystandersRelay();
  }

  // The same, and `watcher` (in the offender's room) hears it leave.
  void ExpectClosedAndBystandersRelay(WsClient& offender, WsClient& watcher, std::uint16_t code) {
    ASSERT_NO_FATAL_FAILURE(ExpectClosedCountedAndBystandersRelay(offender, code));
    ASSERT_TRUE(watcher.ReadType("peer_disconnected").ok());
  }

  std::unique_ptr<WsClient> x_, y_;
};

}  // namespace sig::testing
