#include "core/router.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "core/strings.h"
#include "absl/strings/string_view.h"

namespace sig::core {
namespace {

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Spreads a hash over the shards with its high bits; the maps inside a shard use the low ones.
std::size_t ShardIndex(std::size_t hash, std::size_t shards) {
  return static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * 0x9E3779B97F4A7C15ull) >> 40) %
         shards;
}

}  // namespace

std::size_t Router::IndexHash::operator()(const IndexKeyView& k) const {
  return absl::Hash<std::pair<absl::string_view, absl::string_view>>{}(
      {AbslView(k.realm), AbslView(k.name)});
}

Router::RealmShard& Router::RealmShardFor(std::string_view realm) const {
  return realm_shards_[ShardIndex(StringHash{}(realm), kShards)];
}

Router::IndexShard& Router::IndexShardFor(std::string_view realm, std::string_view name) const {
  return index_shards_[ShardIndex(IndexHash{}(IndexKeyView{realm, name}), kShards)];
}

std::shared_ptr<Router::Realm> Router::FindRealm(std::string_view realm) const {
  RealmShard& shard = RealmShardFor(realm);
  absl::ReaderMutexLock lock(&shard.mu);
  auto it = shard.realms.find(realm);
  return it == shard.realms.end() ? nullptr : it->second;
}

std::shared_ptr<Router::Realm> Router::FindOrCreateRealm(std::string_view realm) {
  RealmShard& shard = RealmShardFor(realm);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.realms.find(realm);
  if (it != shard.realms.end()) return it->second;
  auto created = std::make_shared<Realm>();
  shard.realms.emplace(std::string(realm), created);
  return created;
}

void Router::DropRealmIfEmpty(std::string_view name, const std::shared_ptr<Realm>& realm) {
  RealmShard& shard = RealmShardFor(name);
  absl::MutexLock shard_lock(&shard.mu);
  absl::MutexLock realm_lock(&realm->mu);
  if (!realm->members.empty() || realm->dead) return;
  auto it = shard.realms.find(name);
  if (it != shard.realms.end() && it->second == realm) shard.realms.erase(it);
  realm->dead = true;
}

absl::StatusOr<std::vector<std::string>> Router::Join(std::string_view realm_name,
                                                      std::string_view name,
                                                      std::uint64_t conn_id,
                                                      std::weak_ptr<Peer> peer,
                                                      const NoticeEncoder* notices) {
  for (;;) {
    std::shared_ptr<Realm> realm = FindOrCreateRealm(realm_name);
    absl::MutexLock lock(&realm->mu);
    // Lost a race with DropRealmIfEmpty: the realm was unlinked after we found it.
    if (realm->dead) continue;
    if (realm->members.contains(name)) {
      return absl::AlreadyExistsError(StrCat("name is taken: ", name));
    }
    {
      IndexShard& shard = IndexShardFor(realm_name, name);
      absl::MutexLock index_lock(&shard.mu);
      shard.map.insert_or_assign(IndexKey{std::string(realm_name), std::string(name)},
                                 IndexEntry{conn_id, peer});
    }
    realm->members.emplace(
        std::string(name),
        Member{conn_id, std::move(peer), notices, join_seq_.fetch_add(1, std::memory_order_relaxed)});
    peer_count_.fetch_add(1, std::memory_order_relaxed);

    std::vector<std::string> names;
    names.reserve(realm->members.size());
    for (const auto& [member_name, member] : realm->members) names.push_back(member_name);

    if (notices != nullptr && realm->members.size() > 1) {
      if (Frame frame = notices->PeerJoined(name)) {
        for (const auto& [member_name, member] : realm->members) {
          if (member_name == name) continue;
          if (auto other = member.peer.lock()) other->Deliver(frame);
        }
      }
    }
    return names;
  }
}

void Router::Leave(std::string_view realm_name, std::string_view name, std::uint64_t conn_id) {
  std::shared_ptr<Realm> realm = FindRealm(realm_name);
  if (realm == nullptr) return;
  bool now_empty = false;
  {
    absl::MutexLock lock(&realm->mu);
    auto it = realm->members.find(name);
    if (it == realm->members.end() || it->second.conn_id != conn_id) return;
    const NoticeEncoder* notices = it->second.notices;
    {
      IndexShard& shard = IndexShardFor(realm_name, name);
      absl::MutexLock index_lock(&shard.mu);
      auto entry = shard.map.find(IndexKeyView{realm_name, name});
      if (entry != shard.map.end() && entry->second.conn_id == conn_id) shard.map.erase(entry);
    }
    realm->members.erase(it);
    peer_count_.fetch_sub(1, std::memory_order_relaxed);
    if (notices != nullptr && !realm->members.empty()) {
      if (Frame frame = notices->PeerLeft(name)) {
        for (const auto& [member_name, member] : realm->members) {
          if (auto other = member.peer.lock()) other->Deliver(frame);
        }
      }
    }
    now_empty = realm->members.empty();
  }
  if (now_empty) DropRealmIfEmpty(realm_name, realm);
}

absl::Status Router::Route(sig::v1::Envelope envelope) {
  switch (envelope.route()) {
    case sig::v1::ROUTE_DIRECT: {
      std::shared_ptr<Peer> target;
      {
        const IndexShard& shard = IndexShardFor(envelope.realm(), envelope.to());
        absl::ReaderMutexLock lock(&shard.mu);
        auto it = shard.map.find(IndexKeyView{envelope.realm(), envelope.to()});
        if (it != shard.map.end()) target = it->second.peer.lock();
      }
      if (target == nullptr) return absl::NotFoundError(StrCat("no peer named ", envelope.to()));
      target->Deliver(MakeFrame(std::move(*envelope.mutable_frame())));
      return absl::OkStatus();
    }
    case sig::v1::ROUTE_BROADCAST: {
      std::shared_ptr<Realm> realm = FindRealm(envelope.realm());
      if (realm == nullptr) return absl::OkStatus();
      const Frame frame = MakeFrame(std::move(*envelope.mutable_frame()));
      absl::ReaderMutexLock lock(&realm->mu);
      for (const auto& [member_name, member] : realm->members) {
        if (member_name == envelope.from()) continue;
        if (auto other = member.peer.lock()) other->Deliver(frame);
      }
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("envelope has no route");
  }
}

std::vector<std::string> Router::Names(std::string_view realm_name) const {
  std::shared_ptr<Realm> realm = FindRealm(realm_name);
  if (realm == nullptr) return {};
  std::vector<std::pair<std::uint64_t, std::string>> ordered;
  {
    absl::ReaderMutexLock lock(&realm->mu);
    ordered.reserve(realm->members.size());
    for (const auto& [name, member] : realm->members) ordered.emplace_back(member.join_seq, name);
  }
  std::sort(ordered.begin(), ordered.end());
  std::vector<std::string> names;
  names.reserve(ordered.size());
  for (auto& [seq, name] : ordered) names.push_back(std::move(name));
  return names;
}

}  // namespace sig::core
