#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/peer.h"
#include "core/peer_filter.h"
#include "core/stats.h"
#include "sig/v1/envelope.pb.h"

namespace sig::core {

// Bounds on frames the router holds for absent peers (ROUTE_DIRECT with hold_if_absent): per
// target, per sender, and for the whole router, so that what holds can cost is a sum of named
// limits (docs/security.md). Bytes are the frames' encoded sizes.
struct HoldLimits {
  std::size_t max_frames_per_target = 64;
  std::size_t max_bytes_per_target = 256 * 1024;
  std::size_t max_frames_per_sender = 64;
  std::size_t max_bytes_per_sender = 256 * 1024;
  std::size_t max_total_bytes = 64 * 1024 * 1024;
  // Each held frame also costs bookkeeping beyond its bytes (about 450 bytes, measured with
  // sigbench's held scenario), so the frames are bounded too.
  std::size_t max_total_frames = 100000;
};

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
  struct JoinRequest {
    Protocol protocol = sig::v1::PROTOCOL_TD;
    std::string_view realm;
    std::string_view name;
    std::uint64_t conn_id = 0;
    std::weak_ptr<Peer> peer;
    // Announces the join and leave to the realm's other peers; may be null.
    const NoticeEncoder* notices = nullptr;
    // When not empty, a later Join for the same name with the same token takes the name over
    // (a reconnect) instead of failing with AlreadyExists.
    std::string_view token;
    // ResourceExhausted when the realm already has this many members.
    std::size_t max_members = std::numeric_limits<std::size_t>::max();
    // Fill JoinResult::names (O(realm) work, so only protocols that need it ask).
    bool list_names = false;
  };
  struct JoinResult {
    std::vector<std::string> names;    // every name in the realm, the new one included
    std::shared_ptr<Peer> replaced;    // the previous holder on a same-token takeover
  };

  // A registered peer, as the admin plane lists it.
  struct PeerRecord {
    Protocol protocol = sig::v1::PROTOCOL_TD;
    std::string realm;
    std::string name;
    std::uint64_t conn_id = 0;
    std::shared_ptr<Peer> peer;
  };

  // `events`, when given, hears every join and leave; it must outlive the router.
  explicit Router(const Clock& clock, HoldLimits hold_limits = {}, EventHub* events = nullptr)
      : clock_(clock), hold_limits_(hold_limits), events_(events) {}
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers the request's peer under its name and announces it. Frames held for that name are
  // delivered to it, in order, right after. AlreadyExists when another connection holds the name
  // (and the tokens do not match); ResourceExhausted at max_members.
  absl::StatusOr<JoinResult> Join(JoinRequest request);

  // Unregisters `name` from `realm` if connection `conn_id` still holds it and announces the
  // departure. Frames it left held for absent peers are dropped: nobody would answer them.
  // Idempotent, so every close path may call it.
  void Leave(std::string_view realm, std::string_view name, std::uint64_t conn_id);

  // Delivers `envelope.frame` as `envelope.route` says: ROUTE_DIRECT to the peer named `to`
  // (NotFound if nobody holds it), ROUTE_BROADCAST to everyone in `realm` but `from`.
  // With hold_if_absent, a frame for an absent `to` is held instead (OK), or, past the hold
  // limits, dropped (ResourceExhausted). `notices` encodes the EXPIRE that ExpireHeld sends.
  // Takes the frame out of `envelope` and leaves its other fields as they were, so a caller may
  // refill the same envelope for its next message (core::ThreadEnvelope).
  absl::Status Route(sig::v1::Envelope& envelope, const NoticeEncoder* notices = nullptr);
  absl::Status Route(sig::v1::Envelope&& envelope, const NoticeEncoder* notices = nullptr) {
    return Route(envelope, notices);
  }

  // Drops every hold older than `timeout` at `now`, telling each sender that is still
  // connected, once per (sender, target), with NoticeEncoder::Expired.
  void ExpireHeld(absl::Time now, absl::Duration timeout);

  // Frames currently held for absent peers, and their bytes.
  std::size_t held_frames() const { return held_frames_.load(std::memory_order_relaxed); }
  std::size_t held_bytes() const { return held_bytes_.load(std::memory_order_relaxed); }

  // Whether someone holds `name` in `realm`.
  bool Contains(std::string_view realm, std::string_view name) const;

  // Names in `realm`, in the order they joined.
  std::vector<std::string> Names(std::string_view realm) const;

  // Up to `limit` registered peers matching `filter` whose conn_id is above `after_conn_id`,
  // in conn_id order. Connection ids only grow, so paging by the last id returned walks every
  // peer present throughout the walk exactly once, whatever joins and leaves meanwhile.
  // O(peers) per call: it walks every realm (one realm with a realm filter) under reader locks.
  std::vector<PeerRecord> ListPeers(const PeerFilter& filter, std::uint64_t after_conn_id,
                                    std::size_t limit) const;

  // The peer holding `name` in `realm`, if any.
  std::optional<PeerRecord> FindPeer(std::string_view realm, std::string_view name) const;

  // Registered peers across all realms.
  std::size_t peer_count() const { return peer_count_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kShards = 64;

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Member {
    Protocol protocol;
    std::uint64_t conn_id;
    std::weak_ptr<Peer> peer;
    const NoticeEncoder* notices;
    std::uint64_t join_seq;
    std::string token;
  };
  struct HeldFrame {
    std::string from;
    Frame frame;
  };
  // Frames held for one absent name. Expires as a whole, `created` plus the timeout after the
  // first frame, as peerjs-server does.
  struct Hold {
    absl::Time created;
    const NoticeEncoder* notices = nullptr;
    std::size_t bytes = 0;
    std::vector<HeldFrame> frames;
  };
  // What one sender has held across a realm's holds.
  struct SenderHolds {
    std::size_t frames = 0;
    std::size_t bytes = 0;
  };
  struct Realm {
    Mutex mu;
    bool dead ABSL_GUARDED_BY(mu) = false;  // unlinked from the realm map; retry the lookup
    absl::flat_hash_map<std::string, Member, StringHash, std::equal_to<>> members
        ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<std::string, Hold, StringHash, std::equal_to<>> holds ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<std::string, SenderHolds, StringHash, std::equal_to<>> held_by_sender
        ABSL_GUARDED_BY(mu);
  };
  struct RealmShard {
    mutable Mutex mu;
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
    mutable Mutex mu;
    absl::flat_hash_map<IndexKey, IndexEntry, IndexHash, IndexEq> map ABSL_GUARDED_BY(mu);
  };

  RealmShard& RealmShardFor(std::string_view realm) const;
  IndexShard& IndexShardFor(std::string_view realm, std::string_view name) const;
  std::shared_ptr<Realm> FindRealm(std::string_view realm) const;
  std::shared_ptr<Realm> FindOrCreateRealm(std::string_view realm);
  void DropRealmIfEmpty(std::string_view name, const std::shared_ptr<Realm>& realm);
  absl::Status HoldFrame(sig::v1::Envelope& envelope, const NoticeEncoder* notices);
  void ReleaseHold(Realm& realm, Hold& hold) ABSL_EXCLUSIVE_LOCKS_REQUIRED(realm.mu);
  // Drops every frame `sender` holds in `realm`.
  void DropHoldsFrom(Realm& realm, std::string_view sender) ABSL_EXCLUSIVE_LOCKS_REQUIRED(realm.mu);
  // Takes back `frames` frames of `bytes` from the router-wide counts.
  void Unhold(std::size_t frames, std::size_t bytes);
  void Publish(PeerEvent::Kind kind, Protocol protocol, std::string_view realm,
               std::string_view name, std::uint64_t conn_id) const;

  const Clock& clock_;
  const HoldLimits hold_limits_;
  EventHub* const events_;
  mutable std::array<RealmShard, kShards> realm_shards_;
  mutable std::array<IndexShard, kShards> index_shards_;
  std::atomic<std::size_t> peer_count_{0};
  std::atomic<std::uint64_t> join_seq_{0};
  // Bounded by hold_limits_.max_total_frames and max_total_bytes.
  std::atomic<std::size_t> held_frames_{0};
  std::atomic<std::size_t> held_bytes_{0};
  // Realms that may have holds, so ExpireHeld does not walk every realm.
  Mutex holding_mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<Realm>, StringHash, std::equal_to<>>
      holding_realms_ ABSL_GUARDED_BY(holding_mu_);
};

}  // namespace sig::core
