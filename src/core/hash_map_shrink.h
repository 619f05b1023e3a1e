#pragma once

#include <cstddef>

namespace sig::core {

// Gives back a hash map's table once it has mostly emptied. absl's maps never shrink on erase,
// so a surge of peers would keep its peak table for good: after 10,000 PeerJS peers came and
// went, the router's index and member tables and the connection set kept about 1.4 MB of RSS
// (bench/analysis.md). Shrinks when the map is at most 1/8 full; absl grows at 7/8, so a size
// that moves back and forth does not rehash each time, and each shrink's O(size) work follows
// at least 7/8 of a table's worth of erasures. Call after an erase, never while iterating.
template <class Map>
void ShrinkIfSparse(Map& map) {
  // Below this the table is a few KiB at most: not worth a rehash.
  constexpr std::size_t kMinCapacity = 64;
  if (map.capacity() > kMinCapacity && map.size() * 8 <= map.capacity()) map.rehash(0);
}

}  // namespace sig::core
