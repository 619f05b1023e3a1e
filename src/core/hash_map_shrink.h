#pragma once

#include <cstddef>

namespace sig::core {

// Gives back a hash map's table once it has mostly emptied. absl's maps never shrink on erase,
// so a surge of peers would keep its peak table for good: after 10,000 PeerJS peers came and
// went, the router's index and member tables and the connection set kept about 1.4 MB of RSS
// (bench/analysis.md). Shrinks when the map is at most 1/8 full; absl grows at 7/8, so a size
// that moves back and forth does not rehash each time, and each shrink's O(size) work follows
// at least 7/8 of a table's worth of erasures. A small table is kept while it holds anything
// (a few KiB at most, not worth a rehash) but given back once empty: the router's 64 index
// shards otherwise kept 6 KiB each after a surge, 0.4 MB in all. An empty table costs nothing to
// free, and refilling one allocates no more than growing it did. Call after an erase, never
// while iterating.
template <class Map>
void ShrinkIfSparse(Map& map) {
  constexpr std::size_t kMinCapacity = 64;
  const bool sparse = map.capacity() > kMinCapacity && map.size() * 8 <= map.capacity();
  if (sparse || (map.empty() && map.capacity() > 0)) map.rehash(0);
}

}  // namespace sig::core
