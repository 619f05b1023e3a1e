#pragma once

#include <memory>

#include "gtest/gtest.h"
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

  // `offender` is closed with `code`, `watcher` (in its room) hears it leave, and the bystanders
  // still relay.
  void ExpectClosedAndBystandersRelay(WsClient& offender, WsClient& watcher, std::uint16_t code) {
    auto closed = offender.WaitClose();
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_EQ(*closed, code);
    ASSERT_TRUE(watcher.ReadType("peer_disconnected").ok());
    ExpectBystandersRelay();
  }

  std::unique_ptr<WsClient> x_, y_;
};

}  // namespace sig::testing
