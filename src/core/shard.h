#pragma once

#include <cstddef>
#include <cstdint>

namespace sig::core {

// Spreads a hash over `shards` shards with its high bits; the maps inside a shard use the low
// ones, so both stay evenly filled.
inline std::size_t ShardIndex(std::size_t hash, std::size_t shards) {
  return static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * 0x9E3779B97F4A7C15ull) >>
                                  40) %
         shards;
}

}  // namespace sig::core
