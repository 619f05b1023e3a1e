#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "core/directory.h"
#include "core/mutex.h"
#include "core/string_map.h"

namespace sig::core {

// The directory of one process: every claim is decided here, at once (ClaimDone runs before
// Claim returns).
//
// Locking, chosen so no single lock serializes the relay path:
//  - Lookup takes one reader lock on one of kShards index shards, picked by the hash of
//    (realm, name), so relays in one busy room spread over all shards;
//  - claims and releases take the realm's own mutex (plus, to find the realm, one of kShards
//    realm-map shards), so their O(room) work never blocks another room. The sink hears each
//    change under that mutex, which keeps every peer's view of a realm in order: nobody hears
//    "left" before "joined".
class LocalDirectory final : public Directory {
 public:
  LocalDirectory() = default;
  LocalDirectory(const LocalDirectory&) = delete;
  LocalDirectory& operator=(const LocalDirectory&) = delete;

  void SetSink(MembershipSink* sink) override { sink_ = sink; }
  void Claim(ClaimRequest request, ClaimDone done) override;
  void Release(std::string_view realm, std::string_view name, std::uint64_t conn_id,
               LeaveNotice notice) override;
  Holder Lookup(std::string_view realm, std::string_view name) const override;
  void ForEachLocalMember(
      std::string_view realm,
      absl::FunctionRef<void(std::string_view name, Peer& peer)> fn) const override;
  std::vector<std::string> Names(std::string_view realm) const override;
  std::vector<PeerRecord> List(const PeerFilter& filter, std::uint64_t after_conn_id,
                               std::size_t limit) const override;
  std::optional<PeerRecord> Find(std::string_view realm, std::string_view name) const override;
  std::size_t size() const override { return size_.load(std::memory_order_relaxed); }
  std::vector<RealmSummary> Realms(std::string_view after, std::size_t limit) const override;
  std::size_t realm_count() const override;

 private:
  static constexpr std::size_t kShards = 64;

  struct Member {
    Protocol protocol;
    std::uint64_t conn_id;
    std::weak_ptr<Peer> peer;
    const NoticeEncoder* notices;
    std::uint64_t join_seq;
    std::string token;
    std::optional<std::int64_t> issued;  // ClaimRequest::issued
  };
  struct Realm {
    Mutex mu;
    bool dead ABSL_GUARDED_BY(mu) = false;  // unlinked from the realm map; retry the lookup
    StringMap<Member> members
        ABSL_GUARDED_BY(mu);
  };
  struct RealmShard {
    mutable Mutex mu;
    StringMap<std::shared_ptr<Realm>> realms
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
    mutable Mutex mu;
    absl::flat_hash_map<IndexKey, IndexEntry, IndexHash, IndexEq> map ABSL_GUARDED_BY(mu);
  };

  RealmShard& RealmShardFor(std::string_view realm) const;
  IndexShard& IndexShardFor(std::string_view realm, std::string_view name) const;
  std::shared_ptr<Realm> FindRealm(std::string_view realm) const;
  std::shared_ptr<Realm> FindOrCreateRealm(std::string_view realm);
  void DropRealmIfEmpty(std::string_view name, const std::shared_ptr<Realm>& realm);
  // Tells the sink of `change`, with the realm's other live members.
  void Report(const MembershipChange& change, const Realm& realm) const
      ABSL_SHARED_LOCKS_REQUIRED(realm.mu);

  MembershipSink* sink_ = nullptr;
  mutable std::array<RealmShard, kShards> realm_shards_;
  mutable std::array<IndexShard, kShards> index_shards_;
  std::atomic<std::size_t> size_{0};
  std::atomic<std::uint64_t> join_seq_{0};
};

}  // namespace sig::core
