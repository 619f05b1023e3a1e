#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "bus/redis_connection.h"
#include "core/directory.h"
#include "core/mutex.h"
#include "core/string_map.h"

namespace sig::bus {

class RedisLink;

// The directory of a cluster node (cluster-design.md 1.2, 1.3): names are claimed and released
// by the Lua scripts in Redis, so a name is unique per realm across nodes; each node keeps a
// cache of the realms it has local members in (members and their owners), kept current from the
// realm's channel, from which relays are routed without a Redis read.
//
// Claims run on the bus's executor: subscribe to the realm's channel (confirmed), then the claim
// script, whose reply carries the realm's members; the cache is reconciled with them, so that a
// member's join or leave reaches this node's members exactly once whichever comes first, the
// snapshot or the event. Lookups and releases run on the caller's thread, under the cache's
// mutex; the sink hears every change under it, so never two at once.
//
// PeerJS frames for an id nobody holds are held on the sender's node (core::HoldStore, with its
// bounds); when the id is claimed on another node, the claim's announcement on the realm's
// channel makes this directory tell the sink (OnClaimedElsewhere), which hands them over. A
// same-token takeover ("T") moves a name to its new connection in every node's cache, and the
// node of the old connection closes it.
class RedisDirectory final : public core::Directory {
 public:
  RedisDirectory(boost::asio::any_io_executor executor, std::shared_ptr<RedisLink> link,
                 core::NodeId node);
  RedisDirectory(const RedisDirectory&) = delete;
  RedisDirectory& operator=(const RedisDirectory&) = delete;

  void SetSink(core::MembershipSink* sink) override { sink_ = sink; }
  void Claim(core::ClaimRequest request, core::ClaimDone done) override;
  void Release(std::string_view realm, std::string_view name, std::uint64_t conn_id,
               core::LeaveNotice notice) override;
  core::Holder Lookup(std::string_view realm, std::string_view name) const override;
  void ForEachLocalMember(
      std::string_view realm,
      absl::FunctionRef<void(std::string_view name, core::Peer& peer)> fn) const override;
  std::vector<std::string> Names(std::string_view realm) const override;
  // Read from Redis: this node follows only the realms it has members in.
  void ListNames(std::string_view realm, NamesDone done) const override;
  std::vector<core::PeerRecord> List(const core::PeerFilter& filter, std::uint64_t after_conn_id,
                                     std::size_t limit) const override;
  std::optional<core::PeerRecord> Find(std::string_view realm,
                                       std::string_view name) const override;
  std::size_t size() const override { return local_count_.load(std::memory_order_relaxed); }
  std::vector<core::RealmSummary> Realms(std::string_view after, std::size_t limit) const override;
  std::size_t realm_count() const override;

  // A message on `realm`'s channel: "J\t<nid>\t<conn>\t<name>", "L\t..." or "T\t..." (see
  // Scripts). On the executor.
  void OnRealmMessage(std::string_view realm, std::string_view payload);

  // Claims are refused (ClaimOutcome::kUnavailable) while the node holds no lease.
  void SetLeaseHeld(bool held) { lease_held_.store(held, std::memory_order_relaxed); }

  // The lease was taken again after Redis lost it (a restart without persistence): every name
  // held here is claimed again; a name someone else took in between goes to them, and its
  // holder here is closed with 4000. Other nodes claim theirs again at their own pace, so the
  // claims' snapshots only add members; `settle` later (every live node has claimed again by
  // then) each realm is read whole and members still missing are announced as gone: nobody
  // hears a leave and a join for a peer that never left. On the executor.
  void Reclaim(absl::Duration settle);

  // The node is fenced (its lease may run out): every local peer is closed with 1012 and
  // forgotten, before another node can be given its name.
  void CloseAllFenced();

 private:
  struct Member {
    core::Protocol protocol = sig::v1::PROTOCOL_TD;
    core::NodeId node = core::kNoNode;
    std::uint64_t conn_id = 0;
    std::weak_ptr<core::Peer> peer;  // set for this node's members
    std::uint64_t join_seq = 0;
    std::string token_digest;  // this node's members: to claim the name again
    // This node's members that took their name over from another connection: its owner then.
    core::NodeId replaced_node = core::kNoNode;
    std::uint64_t replaced_conn = 0;
    bool local() const { return node == core::kNoNode; }  // this node's
  };
  struct Realm {
    core::Protocol protocol = sig::v1::PROTOCOL_TD;
    const core::NoticeEncoder* notices = nullptr;  // of the realm's protocol
    std::size_t local_members = 0;
    core::StringMap<Member> members;
  };
  struct ClaimState;
  // A name this node learnt is held on another node, for the sink to hear once the lock is gone.
  struct ClaimedElsewhere {
    std::string realm;
    std::string name;
    core::NodeId node;
  };

  void RunClaim(std::shared_ptr<ClaimState> state);
  // Makes the cache of `realm` agree with a claim's snapshot (`members`: name, owner, name,
  // owner...): remote members not in it left, those new in it joined; reported to local
  // members. Fills `names` with the snapshot's names.
  // With `remove_absent` false, members missing from the snapshot are kept.
  void Reconcile(Realm& realm, std::string_view realm_name, std::string_view claimed,
                 const std::vector<RedisReply>& members, std::size_t first, bool remove_absent,
                 std::vector<std::string>* names) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads every followed realm's members and reconciles the cache with them.
  void Resync();
  // Applies a member seen in Redis or on the channel; reports it if `report`.
  void AddRemote(Realm& realm, std::string_view realm_name, std::string_view name,
                 core::NodeId node, std::uint64_t conn, bool report) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveMember(Realm& realm, std::string_view realm_name, std::string_view name,
                    core::LeaveNotice notice = core::LeaveNotice::kEveryone)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Report(const Realm& realm, core::MembershipChange change) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // A "T" message: `name` is now held by (node, conn). Returns this node's former holder, to be
  // closed once the lock is released.
  std::shared_ptr<core::Peer> TakenOver(core::StringMap<Realm>::iterator realm,
                                        std::string_view realm_name, std::string_view name,
                                        core::NodeId node, std::uint64_t conn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Applies a membership message to the realm's cache. On the executor.
  void ApplyRealmMessage(std::string_view realm, std::string_view payload);
  // A claim in `realm` is answered: once none is in flight, the messages held meanwhile are
  // applied. On the executor.
  void ClaimSettled(const std::string& realm);
  // Leaves the realm's channel once this node neither has members there nor claims in flight,
  // so that a node's subscriptions follow its realms instead of every realm it ever served. On
  // the executor.
  void Unfollow(std::string_view realm) ABSL_LOCKS_EXCLUDED(mu_);
  // Tells the sink of the names AddRemote found held elsewhere. Without mu_ held.
  void TellClaimedElsewhere() ABSL_LOCKS_EXCLUDED(mu_);

  boost::asio::any_io_executor executor_;
  std::shared_ptr<RedisLink> link_;
  const core::NodeId node_;
  const std::string node_id_;  // node_ in decimal, as the scripts write it
  core::MembershipSink* sink_ = nullptr;
  std::atomic<bool> lease_held_{false};
  std::atomic<std::size_t> local_count_{0};
  std::atomic<std::uint64_t> join_seq_{0};
  // Membership messages of realms with snapshots in flight: claims, re-claims and resyncs
  // (OnRealmMessage). On the executor.
  struct Claiming {
    int claims = 0;
    std::vector<std::string> held;
  };
  core::StringMap<Claiming> claiming_;
  mutable core::Mutex mu_;
  core::StringMap<Realm> realms_ ABSL_GUARDED_BY(mu_);
  std::vector<ClaimedElsewhere> claimed_elsewhere_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sig::bus
