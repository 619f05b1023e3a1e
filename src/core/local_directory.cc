#include "core/local_directory.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "core/hash_map_shrink.h"
#include "core/shard.h"

namespace sig::core {
namespace {

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

std::size_t LocalDirectory::IndexHash::operator()(const IndexKeyView& k) const {
  return absl::Hash<std::pair<absl::string_view, absl::string_view>>{}(
      {AbslView(k.realm), AbslView(k.name)});
}

LocalDirectory::RealmShard& LocalDirectory::RealmShardFor(std::string_view realm) const {
  return realm_shards_[ShardIndex(StringHash{}(realm), kShards)];
}

LocalDirectory::IndexShard& LocalDirectory::IndexShardFor(std::string_view realm,
                                                          std::string_view name) const {
  return index_shards_[ShardIndex(IndexHash{}(IndexKeyView{realm, name}), kShards)];
}

std::shared_ptr<LocalDirectory::Realm> LocalDirectory::FindRealm(std::string_view realm) const {
  RealmShard& shard = RealmShardFor(realm);
  ReaderMutexLock lock(&shard.mu);
  auto it = shard.realms.find(realm);
  return it == shard.realms.end() ? nullptr : it->second;
}

std::shared_ptr<LocalDirectory::Realm> LocalDirectory::FindOrCreateRealm(std::string_view realm) {
  RealmShard& shard = RealmShardFor(realm);
  MutexLock lock(&shard.mu);
  auto it = shard.realms.find(realm);
  if (it != shard.realms.end()) return it->second;
  auto created = std::make_shared<Realm>();
  shard.realms.emplace(std::string(realm), created);
  return created;
}

void LocalDirectory::DropRealmIfEmpty(std::string_view name, const std::shared_ptr<Realm>& realm) {
  RealmShard& shard = RealmShardFor(name);
  MutexLock shard_lock(&shard.mu);
  MutexLock realm_lock(&realm->mu);
  if (!realm->members.empty() || realm->dead) return;
  auto it = shard.realms.find(name);
  if (it != shard.realms.end() && it->second == realm) {
    shard.realms.erase(it);
    ShrinkIfSparse(shard.realms);
  }
  realm->dead = true;
}

void LocalDirectory::Report(const MembershipChange& change, const Realm& realm) const {
  if (sink_ == nullptr) return;
  std::vector<std::shared_ptr<Peer>> others;
  others.reserve(realm.members.size());
  for (const auto& [member_name, member] : realm.members) {
    if (member_name == change.name) continue;
    if (auto other = member.peer.lock()) others.push_back(std::move(other));
  }
  sink_->OnMembershipChange(change, others);
}

void LocalDirectory::Claim(ClaimRequest request, ClaimDone done) {
  const std::string_view realm_name = request.realm;
  const std::string_view name = request.name;
  ClaimResult result;
  for (;;) {
    std::shared_ptr<Realm> realm = FindOrCreateRealm(realm_name);
    MutexLock lock(&realm->mu);
    // Lost a race with DropRealmIfEmpty: the realm was unlinked after we found it.
    if (realm->dead) continue;
    auto existing = realm->members.find(name);
    if (existing != realm->members.end()) {
      const std::optional<std::int64_t>& held = existing->second.issued;
      if (request.token.empty() || existing->second.token != request.token ||
          (held && request.issued && *request.issued < *held)) {
        result.outcome = ClaimOutcome::kTaken;
        break;
      }
      // Same token: the holder reconnected. The new connection takes the name; the caller
      // closes the old one, whose later Release no longer matches and is ignored.
      result.replaced = existing->second.peer.lock();
      size_.fetch_sub(1, std::memory_order_relaxed);
      realm->members.erase(existing);
    } else if (realm->members.size() >= request.max_members) {
      result.outcome = ClaimOutcome::kRealmFull;
      break;
    }
    {
      IndexShard& shard = IndexShardFor(realm_name, name);
      MutexLock index_lock(&shard.mu);
      shard.map.insert_or_assign(IndexKey{std::string(realm_name), std::string(name)},
                                 IndexEntry{request.conn_id, request.peer});
    }
    realm->members.emplace(
        std::string(name),
        Member{request.protocol, request.conn_id, std::move(request.peer), request.notices,
               join_seq_.fetch_add(1, std::memory_order_relaxed), std::string(request.token),
               request.issued});
    size_.fetch_add(1, std::memory_order_relaxed);
    if (request.list_names) {
      result.names.reserve(realm->members.size());
      for (const auto& [member_name, member] : realm->members) result.names.push_back(member_name);
    }
    Report(MembershipChange{MembershipChange::Kind::kJoined, request.protocol, realm_name, name,
                            request.conn_id, request.notices, result.replaced != nullptr},
           *realm);
    break;
  }
  std::move(done)(std::move(result));
}

void LocalDirectory::Release(std::string_view realm_name, std::string_view name,
                             std::uint64_t conn_id, LeaveNotice notice) {
  std::shared_ptr<Realm> realm = FindRealm(realm_name);
  if (realm == nullptr) return;
  bool now_empty = false;
  {
    MutexLock lock(&realm->mu);
    auto it = realm->members.find(name);
    if (it == realm->members.end() || it->second.conn_id != conn_id) return;
    const MembershipChange change{MembershipChange::Kind::kLeft, it->second.protocol, realm_name,
                                  name, conn_id, it->second.notices, /*takeover=*/false,
                                  /*remote=*/false, notice};
    {
      IndexShard& shard = IndexShardFor(realm_name, name);
      MutexLock index_lock(&shard.mu);
      auto entry = shard.map.find(IndexKeyView{realm_name, name});
      if (entry != shard.map.end() && entry->second.conn_id == conn_id) {
        shard.map.erase(entry);
        ShrinkIfSparse(shard.map);
      }
    }
    realm->members.erase(it);
    ShrinkIfSparse(realm->members);
    size_.fetch_sub(1, std::memory_order_relaxed);
    Report(change, *realm);
    now_empty = realm->members.empty();
  }
  if (now_empty) DropRealmIfEmpty(realm_name, realm);
}

Holder LocalDirectory::Lookup(std::string_view realm, std::string_view name) const {
  const IndexShard& shard = IndexShardFor(realm, name);
  ReaderMutexLock lock(&shard.mu);
  auto it = shard.map.find(IndexKeyView{realm, name});
  if (it == shard.map.end()) return {};
  return Holder{it->second.peer.lock(), kNoNode, it->second.conn_id};
}

void LocalDirectory::ForEachLocalMember(
    std::string_view realm_name,
    absl::FunctionRef<void(std::string_view name, Peer& peer)> fn) const {
  std::shared_ptr<Realm> realm = FindRealm(realm_name);
  if (realm == nullptr) return;
  ReaderMutexLock lock(&realm->mu);
  for (const auto& [member_name, member] : realm->members) {
    if (auto peer = member.peer.lock()) fn(member_name, *peer);
  }
}

std::vector<std::string> LocalDirectory::Names(std::string_view realm_name) const {
  std::shared_ptr<Realm> realm = FindRealm(realm_name);
  if (realm == nullptr) return {};
  std::vector<std::pair<std::uint64_t, std::string>> ordered;
  {
    ReaderMutexLock lock(&realm->mu);
    ordered.reserve(realm->members.size());
    for (const auto& [name, member] : realm->members) ordered.emplace_back(member.join_seq, name);
  }
  std::sort(ordered.begin(), ordered.end());
  std::vector<std::string> names;
  names.reserve(ordered.size());
  for (auto& [seq, name] : ordered) names.push_back(std::move(name));
  return names;
}

std::vector<PeerRecord> LocalDirectory::List(const PeerFilter& filter, std::uint64_t after_conn_id,
                                             std::size_t limit) const {
  std::vector<std::pair<std::string, std::shared_ptr<Realm>>> realms;
  if (!filter.realm.empty()) {
    if (auto realm = FindRealm(filter.realm)) realms.emplace_back(filter.realm, std::move(realm));
  } else {
    for (const RealmShard& shard : realm_shards_) {
      ReaderMutexLock lock(&shard.mu);
      for (const auto& [name, realm] : shard.realms) realms.emplace_back(name, realm);
    }
  }
  // A max-heap on conn_id of the `limit` smallest ids seen so far: memory stays O(limit).
  const auto by_id = [](const PeerRecord& a, const PeerRecord& b) { return a.conn_id < b.conn_id; };
  std::vector<PeerRecord> page;
  if (limit == 0) return page;
  for (const auto& [realm_name, realm] : realms) {
    ReaderMutexLock lock(&realm->mu);
    for (const auto& [name, member] : realm->members) {
      if (member.conn_id <= after_conn_id || !filter.Matches(member.protocol, realm_name, name)) {
        continue;
      }
      if (page.size() == limit && member.conn_id >= page.front().conn_id) continue;
      // A peer that closed since it registered has nothing to report on.
      std::shared_ptr<Peer> peer = member.peer.lock();
      if (peer == nullptr) continue;
      if (page.size() == limit) {
        std::pop_heap(page.begin(), page.end(), by_id);
        page.pop_back();
      }
      page.push_back(PeerRecord{member.protocol, realm_name, name, member.conn_id, std::move(peer)});
      std::push_heap(page.begin(), page.end(), by_id);
    }
  }
  std::sort_heap(page.begin(), page.end(), by_id);
  return page;
}

std::vector<RealmSummary> LocalDirectory::Realms(std::string_view after, std::size_t limit) const {
  std::vector<std::pair<std::string, std::shared_ptr<Realm>>> realms;
  for (const RealmShard& shard : realm_shards_) {
    ReaderMutexLock lock(&shard.mu);
    for (const auto& [name, realm] : shard.realms) {
      if (name > after) realms.emplace_back(name, realm);
    }
  }
  std::sort(realms.begin(), realms.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<RealmSummary> page;
  for (auto& [name, realm] : realms) {
    if (page.size() == limit) break;
    ReaderMutexLock lock(&realm->mu);
    if (realm->members.empty()) continue;  // emptied since it was listed
    page.push_back(RealmSummary{realm->members.begin()->second.protocol, std::move(name),
                                realm->members.size()});
  }
  return page;
}

std::size_t LocalDirectory::realm_count() const {
  std::size_t count = 0;
  for (const RealmShard& shard : realm_shards_) {
    ReaderMutexLock lock(&shard.mu);
    count += shard.realms.size();
  }
  return count;
}

std::optional<PeerRecord> LocalDirectory::Find(std::string_view realm_name,
                                               std::string_view name) const {
  std::shared_ptr<Realm> realm = FindRealm(realm_name);
  if (realm == nullptr) return std::nullopt;
  ReaderMutexLock lock(&realm->mu);
  auto it = realm->members.find(name);
  if (it == realm->members.end()) return std::nullopt;
  std::shared_ptr<Peer> peer = it->second.peer.lock();
  if (peer == nullptr) return std::nullopt;
  return PeerRecord{it->second.protocol, std::string(realm_name), std::string(name),
                    it->second.conn_id, std::move(peer)};
}

}  // namespace sig::core
