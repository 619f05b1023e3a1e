#include "edge/write_queue.h"

#include <string>

#include "gtest/gtest.h"

namespace sig::edge {
namespace {

core::Frame F(std::size_t n) { return core::MakeFrame(std::string(n, 'x'), core::FrameType::kOther); }

TEST(WriteQueueTest, FirstPushStartsAWrite) {
  WriteQueue q(4, 100);
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kStartWrite);
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kQueued);
  EXPECT_TRUE(q.PopFront());
  EXPECT_FALSE(q.PopFront());
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kStartWrite);
}

TEST(WriteQueueTest, FrameBoundIsExact) {
  WriteQueue q(3, 1000);
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kStartWrite);
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kQueued);
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kQueued);
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kOverflow);
  EXPECT_EQ(q.size(), 3u);
}

TEST(WriteQueueTest, ByteBoundIsExact) {
  WriteQueue q(100, 10);
  EXPECT_EQ(q.Push(F(4)), WriteQueue::PushResult::kStartWrite);
  EXPECT_EQ(q.Push(F(6)), WriteQueue::PushResult::kQueued);  // exactly 10
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kOverflow);
  EXPECT_EQ(q.bytes(), 10u);
  q.PopFront();
  EXPECT_EQ(q.bytes(), 6u);
  EXPECT_EQ(q.Push(F(4)), WriteQueue::PushResult::kQueued);
}

TEST(WriteQueueTest, OversizeFrameIsAcceptedIntoAnEmptyQueueOnly) {
  WriteQueue q(100, 10);
  EXPECT_EQ(q.Push(F(50)), WriteQueue::PushResult::kStartWrite);
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kOverflow);
}

TEST(WriteQueueTest, ClearEmpties) {
  WriteQueue q(100, 100);
  q.Push(F(5));
  q.Push(F(5));
  q.Clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

}  // namespace
}  // namespace sig::edge
