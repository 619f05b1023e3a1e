#include "bus/redis_directory.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bus/keys.h"
#include "bus/redis_link.h"
#include "core/log.h"
#include "bus/scripts.h"
#include "core/close_code.h"
#include "core/strings.h"

namespace sig::bus {
namespace {

namespace net = boost::asio;

// Tokens are never stored: the owner value carries a digest of the token, enough to recognise
// the same token on a takeover.
std::string TokenDigest(std::string_view token, std::optional<std::int64_t> issued) {
  if (token.empty()) return {};
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  // The claim script reads an issue time after a '|': a takeover by an older one is refused.
  if (issued && *issued >= 0) out += core::StrCat("|", *issued);
  return out;
}

// "nid|conn|digest" -> (nid, conn).
bool ParseOwner(std::string_view owner, core::NodeId* node, std::uint64_t* conn) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(owner.data(), owner.size()), '|');
  return parts.size() >= 2 && absl::SimpleAtoi(parts[0], node) && absl::SimpleAtoi(parts[1], conn);
}

}  // namespace

// A claim in flight: the request's views copied, and its callback.
struct RedisDirectory::ClaimState {
  core::Protocol protocol;
  std::string realm;
  std::string name;
  std::uint64_t conn_id;
  std::weak_ptr<core::Peer> peer;
  const core::NoticeEncoder* notices;
  std::string token_digest;
  std::size_t max_members;
  bool list_names;
  core::ClaimDone done;
};

RedisDirectory::RedisDirectory(net::any_io_executor executor, std::shared_ptr<RedisLink> link,
                               core::NodeId node)
    : executor_(std::move(executor)),
      link_(std::move(link)),
      node_(node),
      node_id_(std::to_string(node)) {}

void RedisDirectory::Claim(core::ClaimRequest request, core::ClaimDone done) {
  auto state = std::make_shared<ClaimState>(ClaimState{
      request.protocol, std::string(request.realm), std::string(request.name), request.conn_id,
      std::move(request.peer), request.notices, TokenDigest(request.token, request.issued),
      request.max_members,
      request.list_names, std::move(done)});
  net::post(executor_, [this, state]() mutable {
    if (!link_->up() || !lease_held_.load(std::memory_order_relaxed)) {
      std::move(state->done)(core::ClaimResult{core::ClaimOutcome::kUnavailable, {}, nullptr});
      return;
    }
    // Subscribed first, so every change after the claim's snapshot reaches this node. Counted
    // in flight from here, so that the channel is not left meanwhile (Unfollow).
    ++claiming_[state->realm].claims;
    link_->Subscribe(RealmChannel(state->realm), [this, state] { RunClaim(state); });
  });
}

void RedisDirectory::RunClaim(std::shared_ptr<ClaimState> state) {
  const std::size_t max_members =
      std::min<std::size_t>(state->max_members, std::size_t{1} << 40);
  link_->RunScript(
      Scripts::Claim(), {NameKey(state->realm, state->name), MembersKey(state->realm), NodeNamesKey(node_)},
      {node_id_, std::to_string(state->conn_id), state->token_digest, state->name,
       std::to_string(max_members), "1", RealmChannel(state->realm)},
      [this, state](RedisConnection::Reply reply) {
        core::ClaimResult result;
        const bool well_formed = reply.ok() && reply->type == RedisReply::Type::kArray &&
                                 !reply->elements.empty();
        const std::string verdict = well_formed ? reply->elements[0].str : "";
        if (verdict == "taken") {
          result.outcome = core::ClaimOutcome::kTaken;
        } else if (verdict == "full") {
          result.outcome = core::ClaimOutcome::kRealmFull;
        } else if (verdict != "claimed" || reply->elements.size() < 2) {
          result.outcome = core::ClaimOutcome::kUnavailable;  // fenced, Redis away, or garbled
        }
        if (result.outcome != core::ClaimOutcome::kClaimed) {
          std::move(state->done)(std::move(result));
          ClaimSettled(state->realm);
          return;
        }
        {
          core::MutexLock lock(&mu_);
          Realm& realm = realms_[state->realm];
          realm.protocol = state->protocol;
          realm.notices = state->notices;
          Reconcile(realm, state->realm, state->name, reply->elements, 2, /*remove_absent=*/true,
                    &result.names);
          // The name changed hands (this node's holder, or another node's that this node knew
          // of, was replaced): the realm hears no join, as on one node.
          bool takeover = false;
          if (auto it = realm.members.find(state->name); it != realm.members.end()) {
            if (it->second.local()) {
              result.replaced = it->second.peer.lock();  // a takeover on this node
              takeover = true;
              --realm.local_members;
              local_count_.fetch_sub(1, std::memory_order_relaxed);
              realm.members.erase(it);
            } else if (reply->elements[1].str.empty()) {
              // Not a takeover: the claim found that holder's node gone and freed the name.
              // Its leave, published by the script, finds the name held here and would change
              // nothing, so it is told now, before this join.
              RemoveMember(realm, state->realm, state->name);
            } else {
              realm.members.erase(it);
              takeover = true;
            }
          }
          Member& member = realm.members[state->name];
          member = Member{state->protocol, core::kNoNode, state->conn_id, state->peer,
                          join_seq_.fetch_add(1, std::memory_order_relaxed), state->token_digest};
          // A takeover from another node: that node hears of it on the realm's channel, and so
          // may this one, after this reply; the owner replaced here is not news then.
          ParseOwner(reply->elements[1].str, &member.replaced_node, &member.replaced_conn);
          ++realm.local_members;
          local_count_.fetch_add(1, std::memory_order_relaxed);
          Report(realm, core::MembershipChange{core::MembershipChange::Kind::kJoined,
                                               state->protocol, state->realm, state->name,
                                               state->conn_id, state->notices, takeover});
        }
        TellClaimedElsewhere();
        if (!state->list_names) result.names.clear();
        std::move(state->done)(std::move(result));
        ClaimSettled(state->realm);
      });
}

void RedisDirectory::Reconcile(Realm& realm, std::string_view realm_name,
                               std::string_view claimed, const std::vector<RedisReply>& members,
                               std::size_t first, bool remove_absent,
                               std::vector<std::string>* names) {
  // Members this node had not heard of yet joined, those gone from the snapshot left; their
  // events, still on their way, then change nothing.
  absl::flat_hash_map<std::string, std::pair<core::NodeId, std::uint64_t>> snapshot;
  for (std::size_t i = first; i + 1 < members.size(); i += 2) {
    core::NodeId node = 0;
    std::uint64_t conn = 0;
    if (!ParseOwner(members[i + 1].str, &node, &conn)) continue;
    snapshot[members[i].str] = {node, conn};
    names->push_back(members[i].str);
  }
  std::vector<std::string> gone;
  for (const auto& [name, member] : realm.members) {
    if (remove_absent && !member.local() && !snapshot.contains(name)) gone.push_back(name);
  }
  for (const std::string& name : gone) RemoveMember(realm, realm_name, name);
  for (const auto& [name, owner] : snapshot) {
    if (owner.first == node_ || name == claimed) continue;
    AddRemote(realm, realm_name, name, owner.first, owner.second, /*report=*/true);
  }
}

void RedisDirectory::Resync() {
  std::vector<std::string> followed;
  {
    core::MutexLock lock(&mu_);
    for (const auto& [realm_name, realm] : realms_) followed.push_back(realm_name);
  }
  for (std::string& realm_name : followed) {
    // A snapshot in flight, as a claim's is: the realm's messages wait for it (OnRealmMessage).
    ++claiming_[realm_name].claims;
    link_->Command({"HGETALL", MembersKey(realm_name)},
                   [this, realm_name](RedisConnection::Reply reply) {
                     if (reply.ok() && reply->type == RedisReply::Type::kArray) {
                       core::MutexLock lock(&mu_);
                       if (auto realm = realms_.find(realm_name); realm != realms_.end()) {
                         std::vector<std::string> names;
                         Reconcile(realm->second, realm_name, {}, reply->elements, 0,
                                   /*remove_absent=*/true, &names);
                       }
                     }
                     TellClaimedElsewhere();
                     ClaimSettled(realm_name);
                   });
  }
}

void RedisDirectory::Reclaim(absl::Duration settle) {
  auto timer = std::make_shared<net::steady_timer>(executor_, absl::ToChronoNanoseconds(settle));
  timer->async_wait([this, timer](boost::system::error_code ec) {
    if (!ec) Resync();
  });
  struct Held {
    std::string realm;
    std::string name;
    std::uint64_t conn_id;
    std::string token_digest;
  };
  std::vector<Held> held;
  {
    core::MutexLock lock(&mu_);
    for (const auto& [realm_name, realm] : realms_) {
      for (const auto& [name, member] : realm.members) {
        if (member.local()) held.push_back({realm_name, name, member.conn_id, member.token_digest});
      }
    }
  }
  // The operator hears of it: a restart of Redis without persistence makes every node claim
  // its names again, and a name another node took meanwhile goes to that node.
  struct Tally {
    std::size_t pending = 0;
    std::size_t claimed = 0;
    std::size_t lost = 0;
  };
  auto tally = std::make_shared<Tally>();
  tally->pending = held.size();
  if (!held.empty()) {  // (the first lease, at start, has nothing to claim again)
    core::Log(core::LogLevel::kWarning, "Redis lost this node's names: claiming them again",
              {{"names", held.size()}});
  }
  const auto settle_one = [tally](bool claimed, bool lost) {
    tally->claimed += claimed ? 1 : 0;
    tally->lost += lost ? 1 : 0;
    if (--tally->pending == 0) {
      core::Log(core::LogLevel::kInfo, "names claimed again",
                {{"claimed", tally->claimed}, {"lost", tally->lost}});
    }
  };
  for (Held& h : held) {
    ++claiming_[h.realm].claims;  // its snapshot, as any claim's, goes before the messages
    link_->RunScript(
        Scripts::Claim(), {NameKey(h.realm, h.name), MembersKey(h.realm), NodeNamesKey(node_)},
        {node_id_, std::to_string(h.conn_id), h.token_digest, h.name,
         std::to_string(std::size_t{1} << 40), "1", RealmChannel(h.realm)},
        [this, h, settle_one](RedisConnection::Reply reply) {
          bool claimed = false;
          bool lost = false;
          const absl::Cleanup counted = [&] { settle_one(claimed, lost); };
          const absl::Cleanup settled = [this, &h] { ClaimSettled(h.realm); };
          if (!reply.ok() || reply->type != RedisReply::Type::kArray || reply->elements.empty()) {
            return;  // Redis away again: the lease decides
          }
          const std::string& verdict = reply->elements[0].str;
          std::shared_ptr<core::Peer> loser;
          {
            core::MutexLock lock(&mu_);
            auto realm = realms_.find(h.realm);
            if (realm == realms_.end()) return;
            auto it = realm->second.members.find(h.name);
            if (it == realm->second.members.end() || !it->second.local() ||
                it->second.conn_id != h.conn_id) {
              return;  // gone meanwhile
            }
            if (verdict == "claimed") {
              claimed = true;
              std::vector<std::string> names;
              Reconcile(realm->second, h.realm, h.name, reply->elements, 2,
                        /*remove_absent=*/false, &names);
            } else if (verdict == "taken" || verdict == "full") {
              lost = true;
              loser = it->second.peer.lock();
              RemoveMember(realm->second, h.realm, h.name);
              if (realm->second.local_members == 0) realms_.erase(realm);
            }
          }
          TellClaimedElsewhere();
          if (loser) loser->Close(core::ToWire(core::CloseCode::kNameTaken), "name_taken",
                                      core::DisconnectReason::kLoginRefused);
        });
  }
}

void RedisDirectory::CloseAllFenced() {
  std::vector<std::shared_ptr<core::Peer>> peers;
  std::vector<std::string> followed;
  {
    core::MutexLock lock(&mu_);
    for (const auto& [realm_name, realm] : realms_) {
      followed.push_back(realm_name);
      for (const auto& [name, member] : realm.members) {
        if (!member.local()) continue;
        if (auto peer = member.peer.lock()) peers.push_back(std::move(peer));
      }
    }
    realms_.clear();
    local_count_.store(0, std::memory_order_relaxed);
  }
  for (const std::string& realm_name : followed) Unfollow(realm_name);
  for (const auto& peer : peers) {
    peer->Close(core::ToWire(core::CloseCode::kServiceRestart), "cluster node fenced",
                core::DisconnectReason::kFenced);
  }
}

void RedisDirectory::Release(std::string_view realm_name, std::string_view name,
                             std::uint64_t conn_id, core::LeaveNotice notice) {
  {
    core::MutexLock lock(&mu_);
    auto realm = realms_.find(realm_name);
    if (realm == realms_.end()) return;
    auto it = realm->second.members.find(name);
    if (it == realm->second.members.end() || !it->second.local() ||
        it->second.conn_id != conn_id) {
      return;
    }
    RemoveMember(realm->second, realm_name, name, notice);
    // A realm without members here is no longer followed: its cache would go stale.
    if (realm->second.local_members == 0) realms_.erase(realm);
  }
  net::post(executor_, [this, realm = std::string(realm_name), name = std::string(name), conn_id] {
    link_->RunScript(Scripts::Release(), {NameKey(realm, name), MembersKey(realm), NodeNamesKey(node_)},
                     {node_id_, std::to_string(conn_id), name, RealmChannel(realm)},
                     [](RedisConnection::Reply) {});
    Unfollow(realm);
  });
}

void RedisDirectory::ClaimSettled(const std::string& realm_name) {
  auto it = claiming_.find(realm_name);
  if (it == claiming_.end() || --it->second.claims > 0) return;
  std::vector<std::string> held = std::move(it->second.held);
  claiming_.erase(it);
  for (const std::string& payload : held) ApplyRealmMessage(realm_name, payload);
  Unfollow(realm_name);  // every claim failed, or their names are gone already
}

void RedisDirectory::Unfollow(std::string_view realm_name) {
  if (claiming_.contains(realm_name)) return;
  {
    core::MutexLock lock(&mu_);
    if (realms_.contains(realm_name)) return;
  }
  link_->Unsubscribe(RealmChannel(realm_name));
}

void RedisDirectory::OnRealmMessage(std::string_view realm_name, std::string_view payload) {
  // While a snapshot of the realm is in flight (a claim's, a re-claim's or a resync's), it may
  // be older than this message (the message arrives on the subscription, the snapshot on
  // another connection): applied now, it would be undone by the snapshot (a member who never
  // left told as gone), or lost with no realm to apply it to. Held until the snapshots settle,
  // it lands on them instead, where it changes nothing if a snapshot already had it.
  if (auto it = claiming_.find(realm_name); it != claiming_.end()) {
    it->second.held.emplace_back(payload);
    return;
  }
  ApplyRealmMessage(realm_name, payload);
}

void RedisDirectory::ApplyRealmMessage(std::string_view realm_name, std::string_view payload) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(payload.data(), payload.size()), absl::MaxSplits('\t', 3));
  core::NodeId node = 0;
  std::uint64_t conn = 0;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[1], &node) ||
      !absl::SimpleAtoi(parts[2], &conn) || node == node_) {
    return;  // not a membership message, or this node's own (applied when it happened)
  }
  const std::string_view name(parts[3].data(), parts[3].size());
  std::shared_ptr<core::Peer> replaced;
  {
    core::MutexLock lock(&mu_);
    auto realm = realms_.find(realm_name);
    if (realm == realms_.end()) return;  // nobody here to tell
    if (parts[0] == "J") {
      AddRemote(realm->second, realm_name, name, node, conn, /*report=*/true);
    } else if (parts[0] == "L") {
      auto it = realm->second.members.find(name);
      if (it != realm->second.members.end() && it->second.node == node &&
          it->second.conn_id == conn) {
        RemoveMember(realm->second, realm_name, name);
      }
    } else if (parts[0] == "T") {
      replaced = TakenOver(realm, realm_name, name, node, conn);
    }
  }
  Unfollow(realm_name);  // a takeover from elsewhere may have taken this node's last member
  TellClaimedElsewhere();
  // Closed, not orphaned, as on one node (peerjs-protocol.md section 4); its release finds the
  // name held elsewhere and changes nothing.
  if (replaced) replaced->Replaced();
}

std::shared_ptr<core::Peer> RedisDirectory::TakenOver(core::StringMap<Realm>::iterator realm,
                                                      std::string_view realm_name,
                                                      std::string_view name, core::NodeId node,
                                                      std::uint64_t conn) {
  auto it = realm->second.members.find(name);
  if (it == realm->second.members.end()) {
    AddRemote(realm->second, realm_name, name, node, conn, /*report=*/true);
    return nullptr;
  }
  Member& member = it->second;
  if (!member.local()) {
    member.node = node;
    member.conn_id = conn;
    return nullptr;
  }
  // This node's claim replaced that owner: its takeover came before this node's.
  if (member.replaced_node == node && member.replaced_conn == conn) return nullptr;
  std::shared_ptr<core::Peer> replaced = member.peer.lock();
  member = Member{member.protocol, node, conn, {}, member.join_seq, {}};
  --realm->second.local_members;
  local_count_.fetch_sub(1, std::memory_order_relaxed);
  Report(realm->second, core::MembershipChange{core::MembershipChange::Kind::kJoined,
                                               member.protocol, realm_name, name, conn,
                                               realm->second.notices, /*takeover=*/true,
                                               /*remote=*/true});
  if (realm->second.local_members == 0) realms_.erase(realm);
  return replaced;
}

void RedisDirectory::TellClaimedElsewhere() {
  std::vector<ClaimedElsewhere> claimed;
  {
    core::MutexLock lock(&mu_);
    claimed.swap(claimed_elsewhere_);
  }
  if (sink_ == nullptr) return;
  for (const ClaimedElsewhere& c : claimed) sink_->OnClaimedElsewhere(c.realm, c.name, c.node);
}

void RedisDirectory::AddRemote(Realm& realm, std::string_view realm_name, std::string_view name,
                               core::NodeId node, std::uint64_t conn, bool report) {
  auto it = realm.members.find(name);
  if (it != realm.members.end()) {
    if (it->second.node == node && it->second.conn_id == conn) return;  // known already
    if (it->second.local()) return;  // this node's member; a takeover from elsewhere is not yet
    realm.members.erase(it);
  }
  realm.members[std::string(name)] =
      Member{realm.protocol, node, conn, {}, join_seq_.fetch_add(1, std::memory_order_relaxed), {}};
  claimed_elsewhere_.push_back(ClaimedElsewhere{std::string(realm_name), std::string(name), node});
  if (report) {
    Report(realm, core::MembershipChange{core::MembershipChange::Kind::kJoined, realm.protocol,
                                         realm_name, name, conn, realm.notices,
                                         /*takeover=*/false, /*remote=*/true});
  }
}

void RedisDirectory::RemoveMember(Realm& realm, std::string_view realm_name,
                                  std::string_view name, core::LeaveNotice notice) {
  auto it = realm.members.find(name);
  if (it == realm.members.end()) return;
  const Member member = it->second;
  realm.members.erase(it);
  if (member.local()) {
    --realm.local_members;
    local_count_.fetch_sub(1, std::memory_order_relaxed);
  }
  Report(realm, core::MembershipChange{core::MembershipChange::Kind::kLeft, member.protocol,
                                       realm_name, name, member.conn_id, realm.notices,
                                       /*takeover=*/false, /*remote=*/!member.local(), notice});
}

void RedisDirectory::Report(const Realm& realm, core::MembershipChange change) const {
  if (sink_ == nullptr) return;
  std::vector<std::shared_ptr<core::Peer>> others;
  for (const auto& [name, member] : realm.members) {
    if (!member.local() || name == change.name) continue;
    if (auto peer = member.peer.lock()) others.push_back(std::move(peer));
  }
  sink_->OnMembershipChange(change, others);
}

core::Holder RedisDirectory::Lookup(std::string_view realm_name, std::string_view name) const {
  core::MutexLock lock(&mu_);
  auto realm = realms_.find(realm_name);
  if (realm == realms_.end()) return {};
  auto it = realm->second.members.find(name);
  if (it == realm->second.members.end()) return {};
  if (it->second.local()) return core::Holder{it->second.peer.lock(), core::kNoNode, it->second.conn_id};
  return core::Holder{nullptr, it->second.node, it->second.conn_id};
}

void RedisDirectory::ForEachLocalMember(
    std::string_view realm_name,
    absl::FunctionRef<void(std::string_view name, core::Peer& peer)> fn) const {
  core::MutexLock lock(&mu_);
  auto realm = realms_.find(realm_name);
  if (realm == realms_.end()) return;
  for (const auto& [name, member] : realm->second.members) {
    if (!member.local()) continue;
    if (auto peer = member.peer.lock()) fn(name, *peer);
  }
}

std::vector<std::string> RedisDirectory::Names(std::string_view realm_name) const {
  std::vector<std::pair<std::uint64_t, std::string>> ordered;
  {
    core::MutexLock lock(&mu_);
    auto realm = realms_.find(realm_name);
    if (realm == realms_.end()) return {};
    for (const auto& [name, member] : realm->second.members) {
      ordered.emplace_back(member.join_seq, name);
    }
  }
  std::sort(ordered.begin(), ordered.end());
  std::vector<std::string> names;
  for (auto& [seq, name] : ordered) names.push_back(std::move(name));
  return names;
}

void RedisDirectory::ListNames(std::string_view realm_name, NamesDone done) const {
  net::post(executor_, [link = link_, key = MembersKey(realm_name), done = std::move(done)]() mutable {
    link->Command({"HKEYS", std::move(key)}, [done = std::move(done)](
                                                  RedisConnection::Reply reply) mutable {
      if (!reply.ok() || reply->type != RedisReply::Type::kArray) {
        std::move(done)(absl::UnavailableError("the cluster's directory cannot be read"));
        return;
      }
      std::vector<std::string> names;
      names.reserve(reply->elements.size());
      for (RedisReply& name : reply->elements) names.push_back(std::move(name.str));
      std::move(done)(std::move(names));
    });
  });
}

std::vector<core::PeerRecord> RedisDirectory::List(const core::PeerFilter& filter,
                                                   std::uint64_t after_conn_id,
                                                   std::size_t limit) const {
  std::vector<core::PeerRecord> all;
  {
    core::MutexLock lock(&mu_);
    for (const auto& [realm_name, realm] : realms_) {
      for (const auto& [name, member] : realm.members) {
        if (!member.local() || member.conn_id <= after_conn_id ||
            !filter.Matches(member.protocol, realm_name, name)) {
          continue;
        }
        if (auto peer = member.peer.lock()) {
          all.push_back(core::PeerRecord{member.protocol, realm_name, name, member.conn_id,
                                         std::move(peer)});
        }
      }
    }
  }
  std::sort(all.begin(), all.end(),
            [](const core::PeerRecord& a, const core::PeerRecord& b) { return a.conn_id < b.conn_id; });
  if (all.size() > limit) all.resize(limit);
  return all;
}

std::vector<core::RealmSummary> RedisDirectory::Realms(std::string_view after,
                                                       std::size_t limit) const {
  std::vector<core::RealmSummary> all;
  {
    core::MutexLock lock(&mu_);
    for (const auto& [name, realm] : realms_) {
      if (realm.local_members > 0 && name > after) {
        all.push_back(core::RealmSummary{realm.protocol, name, realm.local_members});
      }
    }
  }
  std::sort(all.begin(), all.end(), [](const core::RealmSummary& a, const core::RealmSummary& b) {
    return a.realm < b.realm;
  });
  if (all.size() > limit) all.resize(limit);
  return all;
}

std::size_t RedisDirectory::realm_count() const {
  core::MutexLock lock(&mu_);
  return static_cast<std::size_t>(std::count_if(
      realms_.begin(), realms_.end(), [](const auto& entry) { return entry.second.local_members > 0; }));
}

std::optional<core::PeerRecord> RedisDirectory::Find(std::string_view realm_name,
                                                     std::string_view name) const {
  core::MutexLock lock(&mu_);
  auto realm = realms_.find(realm_name);
  if (realm == realms_.end()) return std::nullopt;
  auto it = realm->second.members.find(name);
  if (it == realm->second.members.end() || !it->second.local()) return std::nullopt;
  auto peer = it->second.peer.lock();
  if (peer == nullptr) return std::nullopt;
  return core::PeerRecord{it->second.protocol, std::string(realm_name), std::string(name),
                          it->second.conn_id, std::move(peer)};
}

}  // namespace sig::bus
