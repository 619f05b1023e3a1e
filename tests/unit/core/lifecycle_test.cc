#include "core/lifecycle.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace sig::core {
namespace {

using Phase = Lifecycle::Phase;

TEST(LifecycleTest, DrainThenStopNotifiesListenersOnce) {
  Lifecycle lifecycle;
  std::vector<std::pair<Phase, absl::Duration>> seen;
  lifecycle.AddListener([&](Phase phase, absl::Duration grace) { seen.emplace_back(phase, grace); });
  EXPECT_TRUE(lifecycle.serving());
  ASSERT_TRUE(lifecycle.Drain(absl::Seconds(3)).ok());
  EXPECT_EQ(lifecycle.phase(), Phase::kDraining);
  EXPECT_TRUE(absl::IsFailedPrecondition(lifecycle.Drain(absl::Seconds(1))));
  EXPECT_TRUE(lifecycle.Stop());
  EXPECT_FALSE(lifecycle.Stop());
  EXPECT_TRUE(absl::IsFailedPrecondition(lifecycle.Drain(absl::Seconds(1))));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(Phase::kDraining, absl::Seconds(3)));
  EXPECT_EQ(seen[1], std::make_pair(Phase::kStopping, absl::ZeroDuration()));
}

TEST(LifecycleTest, RemovedListenerIsNotCalled) {
  Lifecycle lifecycle;
  int calls = 0;
  const std::size_t handle = lifecycle.AddListener([&](Phase, absl::Duration) { ++calls; });
  lifecycle.AddListener([&](Phase, absl::Duration) { calls += 10; });
  lifecycle.RemoveListener(handle);
  EXPECT_TRUE(lifecycle.Stop());
  EXPECT_EQ(calls, 10);
}

TEST(LifecycleTest, UndrainEndsADrainButNotAStop) {
  Lifecycle lifecycle;
  std::vector<std::pair<Phase, absl::Duration>> seen;
  lifecycle.AddListener([&](Phase phase, absl::Duration grace) { seen.emplace_back(phase, grace); });
  EXPECT_TRUE(absl::IsFailedPrecondition(lifecycle.Undrain()));  // serving already
  ASSERT_TRUE(lifecycle.Drain(absl::Seconds(3)).ok());
  ASSERT_TRUE(lifecycle.Undrain().ok());
  EXPECT_TRUE(lifecycle.serving());
  ASSERT_TRUE(lifecycle.Drain(absl::Seconds(5)).ok());  // a drain may begin again
  EXPECT_TRUE(lifecycle.Stop());
  const absl::Status undrain = lifecycle.Undrain();
  EXPECT_TRUE(absl::IsFailedPrecondition(undrain));
  EXPECT_EQ(undrain.message(), "the server is stopping");
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1], std::make_pair(Phase::kServing, absl::ZeroDuration()));
  EXPECT_EQ(seen[2], std::make_pair(Phase::kDraining, absl::Seconds(5)));
}

TEST(LifecycleTest, StopWithoutDrain) {
  Lifecycle lifecycle;
  EXPECT_TRUE(lifecycle.Stop());
  EXPECT_EQ(lifecycle.phase(), Phase::kStopping);
  EXPECT_EQ(Lifecycle::Name(lifecycle.phase()), "stopping");
}

}  // namespace
}  // namespace sig::core
