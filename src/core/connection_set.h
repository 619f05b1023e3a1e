#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "core/close_code.h"
#include "core/mutex.h"
#include "core/peer.h"

namespace sig::core {

// Live WebSocket connections, logged in or not: shutdown and drain close every one of them, and
// the admin plane counts them.
// Thread-safe; touched once per connect and once per disconnect, never per message.
class ConnectionSet {
 public:
  void Add(std::uint64_t id, std::weak_ptr<Peer> peer);
  void Remove(std::uint64_t id);
  // Asks every live connection to close with `code`.
  void CloseAll(CloseCode code, std::string_view reason, DisconnectReason why);
  std::size_t size() const;

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<std::uint64_t, std::weak_ptr<Peer>> peers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sig::core
