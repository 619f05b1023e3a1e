#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "core/mutex.h"

namespace boost::asio::ip {
class address;
}  // namespace boost::asio::ip

namespace sig::edge {

// Counts WebSocket connections per client address, for max_connections_per_ip: one address may
// not hold every connection slot with upgrades that never log in. IPv6 addresses count per /64,
// the block one subscriber gets (RFC 6177), so rotating through one's own /64 does not help;
// IPv4 addresses count one by one (IPv4-mapped IPv6 addresses as their IPv4 address).
// Thread-safe: the map is sharded by address, each shard behind its own mutex.
class AddressLimit {
 public:
  using Key = std::array<std::uint8_t, 16>;

  // 0: no limit (nothing is counted).
  explicit AddressLimit(std::size_t max_per_address) : max_per_address_(max_per_address) {}

  // The key `address` is counted under.
  static Key KeyOf(const boost::asio::ip::address& address);

  // Counts one more connection for `key` unless it already has max_per_address; false then.
  bool TryAcquire(const Key& key);
  // Gives back a place TryAcquire counted.
  void Release(const Key& key);

  bool enabled() const { return max_per_address_ != 0; }

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    core::Mutex mu;
    absl::flat_hash_map<Key, std::uint32_t> counts ABSL_GUARDED_BY(mu);
  };
  Shard& ShardFor(const Key& key);

  const std::size_t max_per_address_;
  std::array<Shard, kShards> shards_;
};

}  // namespace sig::edge
