#include "core/hold_store.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/core_fixtures.h"
#include "testing/fake_clock.h"

namespace sig::core {
namespace {

using ::sig::testing::TextNotices;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class HoldStoreTest : public ::testing::Test {
 protected:
  explicit HoldStoreTest(HoldLimits limits = HoldLimits{3, 100, 4}) : store_(clock_, limits) {}

  // Holds `bytes` for `to` from `from` in realm "k"; the target is absent throughout.
  HoldStore::HoldOutcome Hold(std::string from, std::string to, std::string bytes) {
    return store_.Hold("k", from, to, MakeFrame(std::move(bytes), kOtherFrameType), &notices_,
                       [](const Frame&) { return false; });
  }
  std::vector<std::string> Take(std::string_view to) {
    std::vector<std::string> out;
    store_.Take("k", to, [&](std::string_view, const Frame& frame) { out.push_back(frame->bytes); });
    return out;
  }
  // What Expire would tell, as "absent>sender".
  std::vector<std::string> Expire() {
    std::vector<std::string> told;
    store_.Expire(clock_.Now(), absl::Seconds(5),
                  [&](std::string_view realm, std::string_view absent, std::string_view sender,
                      const NoticeEncoder& notices) {
                    EXPECT_EQ(realm, "k");
                    EXPECT_EQ(&notices, &notices_);
                    told.push_back(std::string(absent) + ">" + std::string(sender));
                  });
    return told;
  }

  TextNotices notices_;
  testing::FakeClock clock_;
  HoldStore store_;
};

constexpr auto kHeld = HoldStore::HoldOutcome::kHeld;
constexpr auto kOverLimit = HoldStore::HoldOutcome::kOverLimit;

TEST_F(HoldStoreTest, TakeHandsOverInOrderAndEmpties) {
  ASSERT_EQ(Hold("a", "late", "1"), kHeld);
  ASSERT_EQ(Hold("b", "late", "2"), kHeld);
  ASSERT_EQ(Hold("a", "other", "3"), kHeld);
  EXPECT_EQ(store_.held_frames(), 3u);
  EXPECT_THAT(Take("late"), ElementsAre("1", "2"));
  EXPECT_THAT(Take("late"), IsEmpty());
  EXPECT_EQ(store_.held_frames(), 1u);
  EXPECT_EQ(store_.held_bytes(), 1u);
}

TEST_F(HoldStoreTest, AFrameTheTargetCanTakeNowIsDeliveredNotHeld) {
  std::vector<std::string> delivered;
  EXPECT_EQ(store_.Hold("k", "a", "t", MakeFrame("x", kOtherFrameType), &notices_,
                        [&](const Frame& frame) {
                          delivered.push_back(frame->bytes);
                          return true;
                        }),
            HoldStore::HoldOutcome::kDelivered);
  EXPECT_THAT(delivered, ElementsAre("x"));
  EXPECT_EQ(store_.held_frames(), 0u);
}

TEST_F(HoldStoreTest, HoldsExpireOncePerSenderAndTargetAfterTheTimeout) {
  ASSERT_EQ(Hold("a", "ghost", "1"), kHeld);
  ASSERT_EQ(Hold("a", "ghost", "2"), kHeld);
  ASSERT_EQ(Hold("b", "ghost", "3"), kHeld);
  clock_.Advance(absl::Milliseconds(4999));
  EXPECT_THAT(Expire(), IsEmpty());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(Expire(), ElementsAre("ghost>a", "ghost>b"));
  EXPECT_EQ(store_.held_frames(), 0u);
  EXPECT_THAT(Expire(), IsEmpty());
  EXPECT_THAT(Take("ghost"), IsEmpty());
}

// A hold expires as a whole, timed from its first frame, as peerjs-server does.
TEST_F(HoldStoreTest, AHoldIsTimedFromItsFirstFrame) {
  ASSERT_EQ(Hold("a", "ghost", "1"), kHeld);
  clock_.Advance(absl::Seconds(4));
  ASSERT_EQ(Hold("a", "ghost", "2"), kHeld);
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(Expire(), ElementsAre("ghost>a"));
  EXPECT_EQ(store_.held_frames(), 0u);
}

TEST_F(HoldStoreTest, DropFromTakesOnlyThatSendersFrames) {
  ASSERT_EQ(Hold("a", "late", "from a"), kHeld);
  ASSERT_EQ(Hold("b", "late", "from b"), kHeld);
  ASSERT_EQ(Hold("a", "other", "to other"), kHeld);
  store_.DropFrom("k", "a");
  EXPECT_EQ(store_.held_frames(), 1u);
  EXPECT_EQ(store_.held_bytes(), std::string("from b").size());
  EXPECT_THAT(Take("late"), ElementsAre("from b"));
  EXPECT_THAT(Take("other"), IsEmpty());
  EXPECT_EQ(store_.held_bytes(), 0u);
}

TEST_F(HoldStoreTest, HoldsAreBoundedPerTargetAndPerSender) {
  // Per target: 3 frames.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Hold("a", "t1", "x"), kHeld);
  EXPECT_EQ(Hold("b", "t1", "x"), kOverLimit);
  // Per sender: 4 frames across targets.
  ASSERT_EQ(Hold("a", "t2", "x"), kHeld);
  EXPECT_EQ(Hold("a", "t3", "x"), kOverLimit);
  // Per target bytes: 100.
  EXPECT_EQ(Hold("b", "t4", std::string(101, 'x')), kOverLimit);
  EXPECT_EQ(store_.held_frames(), 4u);
}

// Bytes per sender and for the whole store, each at its edge: exactly the bound is held, one
// byte more is refused, and a refusal holds nothing.
class HoldStoreBytesTest : public HoldStoreTest {
 protected:
  HoldStoreBytesTest()
      : HoldStoreTest(HoldLimits{64, 1000, 64, /*max_bytes_per_sender=*/100,
                                 /*max_total_bytes=*/250}) {}
};

TEST_F(HoldStoreBytesTest, HoldsAreBoundedInBytesPerSenderAndInAll) {
  ASSERT_EQ(Hold("a", "t1", std::string(60, 'x')), kHeld);
  ASSERT_EQ(Hold("a", "t2", std::string(40, 'x')), kHeld);
  EXPECT_EQ(Hold("a", "t3", "x"), kOverLimit);
  ASSERT_EQ(Hold("b", "t1", std::string(100, 'x')), kHeld);
  ASSERT_EQ(Hold("c", "t1", std::string(50, 'x')), kHeld);
  EXPECT_EQ(store_.held_bytes(), 250u);
  EXPECT_EQ(Hold("c", "t2", "x"), kOverLimit);
  EXPECT_EQ(store_.held_bytes(), 250u);
  EXPECT_EQ(store_.held_frames(), 4u);
  // Space freed by a sender's frames going is there for others.
  store_.DropFrom("k", "b");
  EXPECT_EQ(Hold("c", "t2", std::string(50, 'x')), kHeld);
}

class HoldStoreFramesTest : public HoldStoreTest {
 protected:
  HoldStoreFramesTest() : HoldStoreTest(HoldLimits{64, 1000, 64, 1000, 1000, /*frames=*/3}) {}
};

TEST_F(HoldStoreFramesTest, HeldFramesAreBoundedInAll) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Hold("a", "t" + std::to_string(i), "x"), kHeld) << i;
  EXPECT_EQ(Hold("a", "t9", "x"), kOverLimit);
  EXPECT_EQ(store_.held_frames(), 3u);
  EXPECT_EQ(store_.held_bytes(), 3u);
}

}  // namespace
}  // namespace sig::core
