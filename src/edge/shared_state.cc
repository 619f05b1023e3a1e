#include "edge/shared_state.h"

#include <string>
#include <vector>

namespace sig::edge {

void ConnectionSet::Add(std::uint64_t id, std::weak_ptr<core::Peer> peer) {
  core::MutexLock lock(&mu_);
  peers_.emplace(id, std::move(peer));
}

void ConnectionSet::Remove(std::uint64_t id) {
  core::MutexLock lock(&mu_);
  peers_.erase(id);
}

void ConnectionSet::CloseAll(core::CloseCode code, std::string_view reason) {
  std::vector<std::shared_ptr<core::Peer>> live;
  {
    core::MutexLock lock(&mu_);
    live.reserve(peers_.size());
    for (const auto& [id, peer] : peers_) {
      if (auto p = peer.lock()) live.push_back(std::move(p));
    }
  }
  for (const auto& p : live) p->Close(core::ToWire(code), reason);
}

std::size_t ConnectionSet::size() const {
  core::MutexLock lock(&mu_);
  return peers_.size();
}

}  // namespace sig::edge
