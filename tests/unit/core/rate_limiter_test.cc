#include "core/rate_limiter.h"

#include "gtest/gtest.h"

namespace sig::core {
namespace {

using Verdict = RateLimiter::Verdict;

const absl::Time kT0 = absl::FromUnixSeconds(1000);

// A full bucket starts refilling when a token is taken from it.
TEST(TokenBucketTimeTest, TimeToNextTokenCountsFromTheFirstTake) {
  TokenBucket bucket(1, absl::Milliseconds(100), kT0);
  EXPECT_EQ(bucket.TimeToNextToken(kT0), absl::ZeroDuration());
  ASSERT_TRUE(bucket.TryTake(kT0 + absl::Milliseconds(30)));
  EXPECT_EQ(bucket.TimeToNextToken(kT0 + absl::Milliseconds(30)), absl::Milliseconds(100));
  EXPECT_EQ(bucket.TimeToNextToken(kT0 + absl::Milliseconds(129)), absl::Milliseconds(1));
  EXPECT_EQ(bucket.TimeToNextToken(kT0 + absl::Milliseconds(130)), absl::ZeroDuration());
  EXPECT_EQ(bucket.TimeToNextToken(kT0 + absl::Milliseconds(500)), absl::ZeroDuration());
}

// The burst passes, the next message waits for exactly one refill period, and once its token
// has come it is taken: nothing is refused while the peer is within the grace.
TEST(RateLimiterTest, BurstThenWaitForTheNextToken) {
  RateLimiter limiter(3, absl::Milliseconds(100), absl::Seconds(10), kT0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Admit(kT0).verdict, Verdict::kTake);
  const RateLimiter::Decision wait = limiter.Admit(kT0);
  EXPECT_EQ(wait.verdict, Verdict::kWait);
  EXPECT_EQ(wait.wait, absl::Milliseconds(100));
  EXPECT_EQ(limiter.Admit(kT0 + absl::Milliseconds(99)).verdict, Verdict::kWait);
  EXPECT_EQ(limiter.Admit(kT0 + absl::Milliseconds(100)).verdict, Verdict::kTake);
}

// A flood from `start`: at each refill the waiting message is taken and the next one waits.
void FloodUntil(RateLimiter& limiter, absl::Time start, absl::Duration refill, absl::Time end) {
  for (absl::Time now = start + refill; now < end; now += refill) {
    ASSERT_EQ(limiter.Admit(now).verdict, Verdict::kTake);
    ASSERT_EQ(limiter.Admit(now).verdict, Verdict::kWait);
  }
}

// A peer that keeps every message waiting is closed once it has been over the rate for the
// grace period: one instant before, its next message still waits.
TEST(RateLimiterTest, ClosesAPeerOverTheRateForTheGraceAtItsEdge) {
  const absl::Duration refill = absl::Milliseconds(100);
  const absl::Duration grace = absl::Seconds(2);
  RateLimiter limiter(1, refill, grace, kT0);
  EXPECT_EQ(limiter.Admit(kT0).verdict, Verdict::kTake);
  EXPECT_EQ(limiter.Admit(kT0).verdict, Verdict::kWait);  // over the rate from kT0
  FloodUntil(limiter, kT0, refill, kT0 + grace);
  EXPECT_EQ(limiter.Admit(kT0 + grace - absl::Nanoseconds(1)).verdict, Verdict::kWait);
  EXPECT_EQ(limiter.Admit(kT0 + grace).verdict, Verdict::kTake);  // its token came
  EXPECT_EQ(limiter.Admit(kT0 + grace).verdict, Verdict::kClose);
}

// A message that finds a token without waiting ends the peer's time over the rate: a backlog
// flushed after a reconnect, then normal traffic, is never closed however long it runs, and a
// later flood gets a grace period of its own.
TEST(RateLimiterTest, AMessageThatDoesNotWaitEndsTheTimeOverTheRate) {
  const absl::Duration refill = absl::Milliseconds(100);
  const absl::Duration grace = absl::Seconds(1);
  RateLimiter limiter(2, refill, grace, kT0);
  EXPECT_EQ(limiter.Admit(kT0).verdict, Verdict::kTake);
  EXPECT_EQ(limiter.Admit(kT0).verdict, Verdict::kTake);
  EXPECT_EQ(limiter.Admit(kT0).verdict, Verdict::kWait);
  FloodUntil(limiter, kT0, refill, kT0 + grace - refill);
  // Then slower than the rate, for longer than the grace: each message finds its token.
  absl::Time now = kT0 + grace - refill;
  EXPECT_EQ(limiter.Admit(now).verdict, Verdict::kTake);  // the one that waited
  for (int i = 0; i < 30; ++i) {
    now += 2 * refill;
    ASSERT_EQ(limiter.Admit(now).verdict, Verdict::kTake) << i;
  }
  // A new flood: closed one grace after it started, not after the first.
  now += 2 * refill;
  EXPECT_EQ(limiter.Admit(now).verdict, Verdict::kTake);
  EXPECT_EQ(limiter.Admit(now).verdict, Verdict::kTake);
  EXPECT_EQ(limiter.Admit(now).verdict, Verdict::kWait);
  FloodUntil(limiter, now, refill, now + grace);
  EXPECT_EQ(limiter.Admit(now + grace).verdict, Verdict::kTake);
  EXPECT_EQ(limiter.Admit(now + grace).verdict, Verdict::kClose);
}

}  // namespace
}  // namespace sig::core
