#include "core/hash_map_shrink.h"

#include <cstddef>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"

namespace sig::core {
namespace {

using Map = absl::flat_hash_map<int, int>;

Map Filled(int n) {
  Map map;
  for (int i = 0; i < n; ++i) map.emplace(i, i);
  return map;
}

// Erases keys from the top down to `keep`, shrinking after each erase as the router does.
void EraseDownTo(Map& map, int from, int keep) {
  for (int i = from - 1; i >= keep; --i) {
    map.erase(i);
    ShrinkIfSparse(map);
  }
}

TEST(ShrinkIfSparseTest, GivesBackTheTableAfterASurge) {
  Map map = Filled(10000);
  const std::size_t peak = map.capacity();
  EraseDownTo(map, 10000, 10);
  EXPECT_LT(map.capacity(), peak / 64);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(map.at(i), i);
}

TEST(ShrinkIfSparseTest, ShrinksAtOneEighthFullNotBefore) {
  Map map = Filled(1000);
  const std::size_t capacity = map.capacity();
  ASSERT_EQ(capacity % 8, 7u);  // absl capacities are 2^k - 1
  const int eighth = static_cast<int>(capacity / 8);
  // One above an eighth: untouched.
  for (int i = 999; i > eighth; --i) map.erase(i);
  ASSERT_EQ(map.size(), static_cast<std::size_t>(eighth) + 1);
  ShrinkIfSparse(map);
  EXPECT_EQ(map.capacity(), capacity);
  // At an eighth: shrunk.
  map.erase(eighth);
  ShrinkIfSparse(map);
  EXPECT_LT(map.capacity(), capacity);
}

TEST(ShrinkIfSparseTest, DoesNotShrinkAgainRightAfterShrinking) {
  Map map = Filled(1000);
  EraseDownTo(map, 1000, 100);
  const std::size_t shrunk = map.capacity();
  // The table fits 100 with room to grow: erasing a few more must not rehash again.
  EraseDownTo(map, 100, 90);
  EXPECT_EQ(map.capacity(), shrunk);
}

TEST(ShrinkIfSparseTest, LeavesSmallTablesAloneUntilEmpty) {
  Map map = Filled(40);
  const std::size_t capacity = map.capacity();
  ASSERT_LE(capacity, 64u);
  EraseDownTo(map, 40, 1);
  EXPECT_EQ(map.capacity(), capacity);
  map.erase(0);
  ShrinkIfSparse(map);
  EXPECT_EQ(map.capacity(), 0u);
  // An empty table that never had an array is left as it is.
  ShrinkIfSparse(map);
  EXPECT_EQ(map.capacity(), 0u);
}

}  // namespace
}  // namespace sig::core
