#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/peer.h"
#include "sig/v1/envelope.pb.h"

namespace sig::core {

// Protocol-neutral registry and delivery: which connection holds which name in which realm, and
// getting an encoded frame to it. Knows nothing of JSON or sockets.
//
// Thread-safe. Locking, chosen so no single lock serializes the relay path:
//  - a direct relay takes one reader lock on one of kShards index shards, picked by the hash of
//    (realm, name), so relays in one busy room spread over all shards;
//  - join, leave and broadcast take the realm's own mutex (plus, to find the realm, one of
//    kShards realm-map shards), so their O(room) work never blocks another room. Join and leave
//    announcements are delivered under that mutex, which keeps every peer's view of a realm in
//    order: nobody hears "left" before "joined".
class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers `peer` as `name` in `realm` for connection `conn_id` and announces it to the other
  // peers there with `notices` (may be null). Returns every name in the realm, the new one
  // included, in no particular order. AlreadyExists when another connection holds the name.
  absl::StatusOr<std::vector<std::string>> Join(std::string_view realm, std::string_view name,
                                                std::uint64_t conn_id, std::weak_ptr<Peer> peer,
                                                const NoticeEncoder* notices);

  // Unregisters `name` from `realm` if connection `conn_id` still holds it and announces the
  // departure. Idempotent, so every close path may call it.
  void Leave(std::string_view realm, std::string_view name, std::uint64_t conn_id);

  // Delivers `envelope.frame` as `envelope.route` says: ROUTE_DIRECT to the peer named `to`
  // (NotFound if nobody holds it), ROUTE_BROADCAST to everyone in `realm` but `from`.
  absl::Status Route(sig::v1::Envelope envelope);

  // Names in `realm`, in the order they joined.
  std::vector<std::string> Names(std::string_view realm) const;

  // Registered peers across all realms.
  std::size_t peer_count() const { return peer_count_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kShards = 64;

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Member {
    std::uint64_t conn_id;
    std::weak_ptr<Peer> peer;
    const NoticeEncoder* notices;
    std::uint64_t join_seq;
  };
  struct Realm {
    absl::Mutex mu;
    bool dead ABSL_GUARDED_BY(mu) = false;  // unlinked from the realm map; retry the lookup
    absl::flat_hash_map<std::string, Member, StringHash, std::equal_to<>> members
        ABSL_GUARDED_BY(mu);
  };
  struct RealmShard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, std::shared_ptr<Realm>, StringHash, std::equal_to<>> realms
        ABSL_GUARDED_BY(mu);
  };

  // Index key: realm and name side by side, looked up by views without building a string.
  struct IndexKey {
    std::string realm;
    std::string name;
  };
  struct IndexKeyView {
    std::string_view realm;
    std::string_view name;
  };
  struct IndexHash {
    using is_transparent = void;
    std::size_t operator()(const IndexKeyView& k) const;
    std::size_t operator()(const IndexKey& k) const { return (*this)(IndexKeyView{k.realm, k.name}); }
  };
  struct IndexEq {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::string_view(a.realm) == std::string_view(b.realm) &&
             std::string_view(a.name) == std::string_view(b.name);
    }
  };
  struct IndexEntry {
    std::uint64_t conn_id;
    std::weak_ptr<Peer> peer;
  };
  struct IndexShard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<IndexKey, IndexEntry, IndexHash, IndexEq> map ABSL_GUARDED_BY(mu);
  };

  RealmShard& RealmShardFor(std::string_view realm) const;
  IndexShard& IndexShardFor(std::string_view realm, std::string_view name) const;
  std::shared_ptr<Realm> FindRealm(std::string_view realm) const;
  std::shared_ptr<Realm> FindOrCreateRealm(std::string_view realm);
  void DropRealmIfEmpty(std::string_view name, const std::shared_ptr<Realm>& realm);

  mutable std::array<RealmShard, kShards> realm_shards_;
  mutable std::array<IndexShard, kShards> index_shards_;
  std::atomic<std::size_t> peer_count_{0};
  std::atomic<std::uint64_t> join_seq_{0};
};

}  // namespace sig::core
