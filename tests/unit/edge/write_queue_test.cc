#include "edge/write_queue.h"

#include <string>

#include "gtest/gtest.h"

namespace sig::edge {
namespace {

core::Frame F(std::size_t n) { return core::MakeFrame(std::string(n, 'x'), core::kOtherFrameType); }

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
  EXPECT_FALSE(q.Full(1));
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kQueued);
  EXPECT_TRUE(q.Full(1));
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kOverflow);
  EXPECT_EQ(q.size(), 3u);
}

TEST(WriteQueueTest, ByteBoundIsExact) {
  WriteQueue q(100, 10);
  EXPECT_EQ(q.Push(F(4)), WriteQueue::PushResult::kStartWrite);
  EXPECT_FALSE(q.Full(6));
  EXPECT_TRUE(q.Full(7));
  EXPECT_EQ(q.Push(F(6)), WriteQueue::PushResult::kQueued);  // exactly 10
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kOverflow);
  EXPECT_EQ(q.bytes(), 10u);
  q.PopFront();
  EXPECT_EQ(q.bytes(), 6u);
  EXPECT_EQ(q.Push(F(4)), WriteQueue::PushResult::kQueued);
}

TEST(WriteQueueTest, OversizeFrameIsAcceptedIntoAnEmptyQueueOnly) {
  WriteQueue q(100, 10);
  EXPECT_FALSE(q.Full(50));
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

// The ring grows past its first capacity with its head anywhere, and keeps the order.
TEST(WriteQueueTest, KeepsOrderAcrossGrowthAndWrapAround) {
  WriteQueue q(1000, 1000000);
  std::size_t next_in = 0;
  std::size_t next_out = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 3; ++i) q.Push(F(++next_in));  // moves the head, wraps at capacity 4
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(q.front()->bytes.size(), ++next_out);
      q.PopFront();
    }
  }
  for (int i = 0; i < 40; ++i) q.Push(F(++next_in));
  ASSERT_EQ(q.size(), next_in - next_out);
  for (std::size_t i = 0; i < q.size(); ++i) EXPECT_EQ(q[i]->bytes.size(), next_out + 1 + i);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < q.size(); ++i) bytes += q[i]->bytes.size();
  EXPECT_EQ(q.bytes(), bytes);
  while (!q.empty()) {
    EXPECT_EQ(q.front()->bytes.size(), ++next_out);
    q.PopFront();
  }
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(q.Push(F(1)), WriteQueue::PushResult::kStartWrite);
}

}  // namespace
}  // namespace sig::edge
