#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/peer.h"
#include "core/peer_filter.h"
#include "core/protocol.h"

namespace sig::core {

// A node of a cluster, as the directory and the bus name it. kNoNode: none (or this process,
// when it runs alone).
using NodeId = std::uint64_t;
inline constexpr NodeId kNoNode = 0;

// What a login asks of the directory: `name` in `realm` for connection `conn_id`.
struct ClaimRequest {
  Protocol protocol = sig::v1::PROTOCOL_TD;
  std::string_view realm;
  std::string_view name;
  std::uint64_t conn_id = 0;
  std::weak_ptr<Peer> peer;
  // Announces the join and leave to the realm's other peers; may be null.
  const NoticeEncoder* notices = nullptr;
  // When not empty, a later claim of the same name with the same token takes the name over (a
  // reconnect) instead of being refused as taken.
  std::string_view token;
  // When this claim and the holder's both carry one: the takeover is refused (kTaken) if this
  // one is older. Login tokens' issue times, so that a still-valid older token cannot take a
  // name back from a session that logged in with a newer one. Non-negative.
  std::optional<std::int64_t> issued;
  // The claim is refused (kRealmFull) when the realm already has this many members.
  std::size_t max_members = std::numeric_limits<std::size_t>::max();
  // Fill ClaimResult::names (O(realm) work, so only protocols that need it ask).
  bool list_names = false;
};

// How a claim ended.
enum class ClaimOutcome : std::uint8_t {
  kClaimed,
  kTaken,        // another connection holds the name, with another token
  kRealmFull,    // max_members reached
  kUnavailable,  // the directory cannot decide now (a cluster's bus is down)
};

struct ClaimResult {
  ClaimOutcome outcome = ClaimOutcome::kClaimed;
  std::vector<std::string> names;   // with list_names: every name in the realm, the new one too
  std::shared_ptr<Peer> replaced;   // the previous holder, on a same-token takeover
};

// Called exactly once per claim, on any thread, possibly before Claim returns.
using ClaimDone = absl::AnyInvocable<void(ClaimResult) &&>;

// Who holds a name, as a relay needs to know it.
struct Holder {
  std::shared_ptr<Peer> peer;  // the holder, when it is connected to this node
  NodeId node = kNoNode;       // otherwise the node it is connected to; kNoNode: nobody
  std::uint64_t conn_id = 0;

  bool found() const { return peer != nullptr || node != kNoNode; }
};

// A registered peer, as the admin plane lists it.
struct PeerRecord {
  Protocol protocol = sig::v1::PROTOCOL_TD;
  std::string realm;
  std::string name;
  std::uint64_t conn_id = 0;
  std::shared_ptr<Peer> peer;
};

// A realm with members on this node, for listings such as `sigctl rooms`.
struct RealmSummary {
  Protocol protocol = sig::v1::PROTOCOL_TD;
  std::string realm;
  std::size_t members = 0;  // on this node
};

// Who on the departing peer's own node hears of a departure. A node that closes every
// connection it holds (drain, shutdown, fencing) tells none of them that the others left: each
// is being closed itself, a notice racing its close would tell it a peer left whose calls go on
// peer to peer (and make it hang up), and a realm of n peers would cost n^2 notices. Other
// nodes' peers are told either way: for them the peer did leave.
enum class LeaveNotice : std::uint8_t { kEveryone, kOtherNodesOnly };

constexpr LeaveNotice LeaveNoticeFor(DisconnectReason why) {
  return why == DisconnectReason::kDrain || why == DisconnectReason::kShutdown ||
                 why == DisconnectReason::kFenced
             ? LeaveNotice::kOtherNodesOnly
             : LeaveNotice::kEveryone;
}

// A claim or a release, as the directory reports it.
struct MembershipChange {
  enum class Kind : std::uint8_t { kJoined, kLeft };
  Kind kind = Kind::kJoined;
  Protocol protocol = sig::v1::PROTOCOL_TD;
  std::string_view realm;
  std::string_view name;
  std::uint64_t conn_id = 0;
  const NoticeEncoder* notices = nullptr;
  // kJoined on a same-token takeover: the name changed hands, nobody joined or left.
  bool takeover = false;
  // The member is (kJoined) or was (kLeft) another node's: this node's peers hear of it, but the
  // change is that node's event, not this one's.
  bool remote = false;
  // kLeft: whether this node's peers are told (see LeaveNotice); remote changes always are.
  LeaveNotice notice = LeaveNotice::kEveryone;
};

// Hears every membership change of a directory. Implemented by the Router.
class MembershipSink {
 public:
  virtual ~MembershipSink() = default;
  // Called in the order the changes happened in `change.realm`, never two at once for one realm,
  // and before the claim's ClaimDone runs. `others` are the realm's other members on this node.
  // Must not call back into the directory.
  virtual void OnMembershipChange(const MembershipChange& change,
                                  std::span<const std::shared_ptr<Peer>> others) = 0;
  // `name` in `realm` was claimed on another node `node` (a cluster's directory only). Called
  // after the directory's locks are released, any thread, so the sink may look names up.
  virtual void OnClaimedElsewhere(std::string_view realm, std::string_view name, NodeId node) = 0;
};

// Who holds which name in which realm: the one place names are made unique. The in-memory
// LocalDirectory serves one process; a cluster's directory (src/bus) serves many nodes, which is
// why a claim completes through a callback. Thread-safe.
class Directory {
 public:
  virtual ~Directory() = default;

  // Must be set, once, before the first claim; it must outlive the directory's use.
  virtual void SetSink(MembershipSink* sink) = 0;

  virtual void Claim(ClaimRequest request, ClaimDone done) = 0;

  // Gives up `name` in `realm` if connection `conn_id` still holds it, reporting the departure
  // with `notice`. Idempotent, so every close path may call it; a late release never undoes a
  // newer claim.
  virtual void Release(std::string_view realm, std::string_view name, std::uint64_t conn_id,
                       LeaveNotice notice) = 0;

  // Who holds `name` in `realm`. On the relay path: cheap, and never waits on another node.
  virtual Holder Lookup(std::string_view realm, std::string_view name) const = 0;

  // Calls `fn` for each member of `realm` connected to this node, under the realm's reader
  // lock: `fn` must not call back into the directory.
  virtual void ForEachLocalMember(
      std::string_view realm, absl::FunctionRef<void(std::string_view name, Peer& peer)> fn) const = 0;

  // Names in `realm` that this node knows of, in the order they joined.
  virtual std::vector<std::string> Names(std::string_view realm) const = 0;

  // Every name in `realm`, wherever its holder is connected, for a listing such as PeerJS's
  // {prefix}/{key}/peers; an error when it cannot be known now. `done` runs once, on any thread.
  // Alone, a node knows every name: Names.
  using NamesDone = absl::AnyInvocable<void(absl::StatusOr<std::vector<std::string>>) &&>;
  virtual void ListNames(std::string_view realm, NamesDone done) const {
    std::move(done)(Names(realm));
  }

  // Up to `limit` registered peers matching `filter` whose conn_id is above `after_conn_id`, in
  // conn_id order. Connection ids only grow, so paging by the last id returned walks every peer
  // present throughout the walk exactly once, whatever joins and leaves meanwhile.
  virtual std::vector<PeerRecord> List(const PeerFilter& filter, std::uint64_t after_conn_id,
                                       std::size_t limit) const = 0;

  // The peer holding `name` in `realm`, if any.
  virtual std::optional<PeerRecord> Find(std::string_view realm, std::string_view name) const = 0;

  // Names registered across all realms.
  virtual std::size_t size() const = 0;

  // Up to `limit` realms with members on this node whose names sort after `after`, in name
  // order: paging by the last name returned walks every realm present throughout the walk once.
  // O(realms on this node) per call: an operator's listing, not a hot path.
  virtual std::vector<RealmSummary> Realms(std::string_view after, std::size_t limit) const = 0;

  // Realms with members on this node.
  virtual std::size_t realm_count() const = 0;
};

}  // namespace sig::core
