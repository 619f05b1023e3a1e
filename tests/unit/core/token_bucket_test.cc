#include "core/token_bucket.h"

#include "gtest/gtest.h"

namespace sig::core {
namespace {

TEST(TokenBucketTest, AllowsBurstThenRefillsOnePerPeriod) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  TokenBucket bucket(3, absl::Seconds(1), t0);
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0 + absl::Milliseconds(999)));
  EXPECT_TRUE(bucket.TryTake(t0 + absl::Seconds(1)));
  EXPECT_FALSE(bucket.TryTake(t0 + absl::Seconds(1)));
}

TEST(TokenBucketTest, NeverHoldsMoreThanBurst) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  TokenBucket bucket(2, absl::Seconds(1), t0);
  EXPECT_TRUE(bucket.TryTake(t0));
  const absl::Time later = t0 + absl::Hours(1);
  EXPECT_TRUE(bucket.TryTake(later));
  EXPECT_TRUE(bucket.TryTake(later));
  EXPECT_FALSE(bucket.TryTake(later));
}

TEST(TokenBucketTest, KeepsPartialPeriods) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  TokenBucket bucket(1, absl::Seconds(1), t0);
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0 + absl::Milliseconds(600)));
  // 600 ms + 600 ms is past one full period from the last take.
  EXPECT_TRUE(bucket.TryTake(t0 + absl::Milliseconds(1200)));
}

}  // namespace
}  // namespace sig::core
