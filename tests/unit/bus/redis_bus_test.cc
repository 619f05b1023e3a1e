#include "bus/redis_bus.h"

#include <memory>
#include <optional>

#include "bus/redis_link.h"
#include "core/envelope.h"
#include "gtest/gtest.h"
#include "unit/bus/redis_test.h"

namespace sig::bus {
namespace {

class RedisBusTest : public testing::RedisTest {
 protected:
  std::shared_ptr<RedisLink> UpLink() {
    RedisLink::Options options;
    options.address = Options().address;
    auto link = RedisLink::Create(io_.get_executor(), options);
    link->Start();
    EXPECT_TRUE(RunUntil([&] { return link->up(); }));
    return link;
  }

  const sig::v1::Envelope direct_ = core::MakeEnvelope(sig::v1::ROUTE_DIRECT, "td/r", "a", "b",
                                                       "offer", core::kOtherFrameType, "frame");
  const sig::v1::Envelope broadcast_ = core::MakeEnvelope(
      sig::v1::ROUTE_BROADCAST, "td/r", "a", "", "page_opened", core::kOtherFrameType, "frame");
};

// hiredis buffers without bound, so what waits for Redis's answer is bounded in front: with
// Redis paused, frames past the window are refused (bus_full) and counted, and the window is
// given back as the answers come.
TEST_F(RedisBusTest, WhatIsInFlightIsBoundedAndRefusedPastTheWindow) {
  auto link = UpLink();
  RedisBus bus(io_.get_executor(), link, 1, RedisBus::Window{2, 1 << 20});
  bus.SetUp(true);
  bus.SetLease(RedisBus::Lease::kHeld);
  auto admin = Connected(Options());
  ASSERT_EQ(Run(*admin, {"CLIENT", "PAUSE", "500", "ALL"})->str, "OK");

  EXPECT_EQ(bus.SendToNode(2, direct_), std::nullopt);
  EXPECT_EQ(bus.SendToNode(2, direct_), std::nullopt);
  EXPECT_EQ(bus.SendToNode(2, direct_), core::RelayFailure::kBusFull);
  bus.PublishToRealm(broadcast_);  // refused too
  core::Bus::Counters counters = bus.counters();
  EXPECT_EQ(counters.in_flight_frames, 2u);
  EXPECT_GT(counters.in_flight_bytes, 0u);
  EXPECT_EQ(counters.dropped_full, 2u);

  ASSERT_TRUE(RunUntil([&] { return bus.counters().in_flight_frames == 0; }));
  counters = bus.counters();
  EXPECT_EQ(counters.in_flight_bytes, 0u);
  EXPECT_EQ(counters.sent, 2u);
  EXPECT_EQ(counters.unheard, 2u);  // node 2 does not exist: nobody listens on its channel
  EXPECT_EQ(bus.SendToNode(2, direct_), std::nullopt);
}

TEST_F(RedisBusTest, ABusDownRefusesAndCountsReconnects) {
  auto link = UpLink();
  RedisBus bus(io_.get_executor(), link, 1, RedisBus::Window{});
  bus.SetUp(true);
  EXPECT_EQ(bus.state(), core::Bus::State::kDown);  // no lease yet: not ready for logins
  bus.SetLease(RedisBus::Lease::kHeld);
  EXPECT_EQ(bus.state(), core::Bus::State::kUp);
  bus.SetUp(false);
  EXPECT_EQ(bus.state(), core::Bus::State::kDown);
  EXPECT_EQ(bus.SendToNode(2, direct_), core::RelayFailure::kBusDown);
  bus.SetUp(true);
  bus.SetLease(RedisBus::Lease::kFenced);
  EXPECT_EQ(bus.SendToNode(2, direct_), core::RelayFailure::kBusDown);
  const core::Bus::Counters counters = bus.counters();
  EXPECT_EQ(counters.dropped_down, 2u);
  EXPECT_EQ(counters.reconnects, 1u);
  EXPECT_EQ(counters.in_flight_frames, 0u);
}

}  // namespace
}  // namespace sig::bus
