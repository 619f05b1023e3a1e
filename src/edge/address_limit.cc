#include "edge/address_limit.h"

#include <algorithm>

#include <boost/asio/ip/address.hpp>

#include "absl/hash/hash.h"
#include "core/hash_map_shrink.h"

namespace sig::edge {

AddressLimit::Key AddressLimit::KeyOf(const boost::asio::ip::address& address) {
  Key key{};
  if (address.is_v6() && !address.to_v6().is_v4_mapped()) {
    const auto bytes = address.to_v6().to_bytes();
    std::copy_n(bytes.begin(), 8, key.begin());  // the /64
    key[15] = 6;                                  // apart from any IPv4 key
    return key;
  }
  const auto v4 = address.is_v4() ? address.to_v4()
                                  : boost::asio::ip::make_address_v4(
                                        boost::asio::ip::v4_mapped, address.to_v6());
  const auto bytes = v4.to_bytes();
  std::copy(bytes.begin(), bytes.end(), key.begin());
  key[15] = 4;
  return key;
}

AddressLimit::Shard& AddressLimit::ShardFor(const Key& key) {
  return shards_[absl::Hash<Key>{}(key) % kShards];
}

bool AddressLimit::TryAcquire(const Key& key) {
  if (!enabled()) return true;
  Shard& shard = ShardFor(key);
  core::MutexLock lock(&shard.mu);
  std::uint32_t& count = shard.counts[key];
  if (count >= max_per_address_) return false;
  ++count;
  return true;
}

void AddressLimit::Release(const Key& key) {
  if (!enabled()) return;
  Shard& shard = ShardFor(key);
  core::MutexLock lock(&shard.mu);
  auto it = shard.counts.find(key);
  if (it == shard.counts.end()) return;
  if (--it->second == 0) {
    shard.counts.erase(it);
    core::ShrinkIfSparse(shard.counts);
  }
}

}  // namespace sig::edge
