#include "core/connection_set.h"

#include <string>
#include <vector>

#include "core/hash_map_shrink.h"

namespace sig::core {

void ConnectionSet::Add(std::uint64_t id, std::weak_ptr<Peer> peer) {
  MutexLock lock(&mu_);
  peers_.emplace(id, std::move(peer));
}

void ConnectionSet::Remove(std::uint64_t id) {
  MutexLock lock(&mu_);
  peers_.erase(id);
  ShrinkIfSparse(peers_);
}

void ConnectionSet::CloseAll(CloseCode code, std::string_view reason, DisconnectReason why) {
  std::vector<std::shared_ptr<Peer>> live;
  {
    MutexLock lock(&mu_);
    live.reserve(peers_.size());
    for (const auto& [id, peer] : peers_) {
      if (auto p = peer.lock()) live.push_back(std::move(p));
    }
  }
  for (const auto& p : live) p->Close(ToWire(code), reason, why);
}

std::size_t ConnectionSet::size() const {
  MutexLock lock(&mu_);
  return peers_.size();
}

}  // namespace sig::core
