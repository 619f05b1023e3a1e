#include "core/router.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "core/hash_map_shrink.h"
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

// Moves the envelope's frame out; the envelope's frame is empty afterwards.
Frame FrameOf(sig::v1::Envelope& envelope) {
  return MakeFrame(std::move(*envelope.mutable_frame()), ClassifyFrameType(envelope.type()),
                   envelope.received_ns());
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
  ReaderMutexLock lock(&shard.mu);
  auto it = shard.realms.find(realm);
  return it == shard.realms.end() ? nullptr : it->second;
}

std::shared_ptr<Router::Realm> Router::FindOrCreateRealm(std::string_view realm) {
  RealmShard& shard = RealmShardFor(realm);
  MutexLock lock(&shard.mu);
  auto it = shard.realms.find(realm);
  if (it != shard.realms.end()) return it->second;
  auto created = std::make_shared<Realm>();
  shard.realms.emplace(std::string(realm), created);
  return created;
}

void Router::DropRealmIfEmpty(std::string_view name, const std::shared_ptr<Realm>& realm) {
  RealmShard& shard = RealmShardFor(name);
  MutexLock shard_lock(&shard.mu);
  MutexLock realm_lock(&realm->mu);
  // Holds keep a realm alive: they outlive their senders, as in peerjs-server.
  if (!realm->members.empty() || !realm->holds.empty() || realm->dead) return;
  auto it = shard.realms.find(name);
  if (it != shard.realms.end() && it->second == realm) {
    shard.realms.erase(it);
    ShrinkIfSparse(shard.realms);
  }
  realm->dead = true;
}

absl::StatusOr<Router::JoinResult> Router::Join(JoinRequest request) {
  const std::string_view realm_name = request.realm;
  const std::string_view name = request.name;
  for (;;) {
    std::shared_ptr<Realm> realm = FindOrCreateRealm(realm_name);
    MutexLock lock(&realm->mu);
    // Lost a race with DropRealmIfEmpty: the realm was unlinked after we found it.
    if (realm->dead) continue;
    JoinResult result;
    auto existing = realm->members.find(name);
    if (existing != realm->members.end()) {
      if (request.token.empty() || existing->second.token != request.token) {
        return absl::AlreadyExistsError(StrCat("name is taken: ", name));
      }
      // Same token: the holder reconnected. The new connection takes the name; the caller
      // closes the old one, whose later Leave no longer matches and is ignored.
      result.replaced = existing->second.peer.lock();
      peer_count_.fetch_sub(1, std::memory_order_relaxed);
      realm->members.erase(existing);
    } else if (realm->members.size() >= request.max_members) {
      return absl::ResourceExhaustedError("the realm is full");
    }
    {
      IndexShard& shard = IndexShardFor(realm_name, name);
      MutexLock index_lock(&shard.mu);
      shard.map.insert_or_assign(IndexKey{std::string(realm_name), std::string(name)},
                                 IndexEntry{request.conn_id, request.peer});
    }
    std::shared_ptr<Peer> joined = request.peer.lock();
    realm->members.emplace(
        std::string(name),
        Member{request.protocol, request.conn_id, std::move(request.peer), request.notices,
               join_seq_.fetch_add(1, std::memory_order_relaxed), std::string(request.token)});
    peer_count_.fetch_add(1, std::memory_order_relaxed);

    Publish(PeerEvent::Kind::kJoined, request.protocol, realm_name, name, request.conn_id);
    if (request.list_names) {
      result.names.reserve(realm->members.size());
      for (const auto& [member_name, member] : realm->members) result.names.push_back(member_name);
    }
    if (request.notices != nullptr && realm->members.size() > 1 && result.replaced == nullptr) {
      if (Frame frame = request.notices->PeerJoined(name)) {
        for (const auto& [member_name, member] : realm->members) {
          if (member_name == name) continue;
          if (auto other = member.peer.lock()) other->Deliver(frame);
        }
      }
    }
    if (auto hold = realm->holds.find(name); hold != realm->holds.end()) {
      if (joined != nullptr) {
        for (const HeldFrame& held : hold->second.frames) joined->Deliver(held.frame);
      }
      ReleaseHold(*realm, hold->second);
      realm->holds.erase(hold);
    }
    return result;
  }
}

void Router::Leave(std::string_view realm_name, std::string_view name, std::uint64_t conn_id) {
  std::shared_ptr<Realm> realm = FindRealm(realm_name);
  if (realm == nullptr) return;
  bool now_empty = false;
  {
    MutexLock lock(&realm->mu);
    auto it = realm->members.find(name);
    if (it == realm->members.end() || it->second.conn_id != conn_id) return;
    const NoticeEncoder* notices = it->second.notices;
    Publish(PeerEvent::Kind::kLeft, it->second.protocol, realm_name, name, conn_id);
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
    peer_count_.fetch_sub(1, std::memory_order_relaxed);
    DropHoldsFrom(*realm, name);
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

absl::Status Router::Route(sig::v1::Envelope& envelope, const NoticeEncoder* notices) {
  switch (envelope.route()) {
    case sig::v1::ROUTE_DIRECT: {
      std::shared_ptr<Peer> target;
      {
        const IndexShard& shard = IndexShardFor(envelope.realm(), envelope.to());
        ReaderMutexLock lock(&shard.mu);
        auto it = shard.map.find(IndexKeyView{envelope.realm(), envelope.to()});
        if (it != shard.map.end()) target = it->second.peer.lock();
      }
      if (target == nullptr) {
        if (envelope.hold_if_absent()) return HoldFrame(envelope, notices);
        return absl::NotFoundError(StrCat("no peer named ", envelope.to()));
      }
      target->Deliver(FrameOf(envelope));
      return absl::OkStatus();
    }
    case sig::v1::ROUTE_BROADCAST: {
      std::shared_ptr<Realm> realm = FindRealm(envelope.realm());
      if (realm == nullptr) return absl::OkStatus();
      const Frame frame = FrameOf(envelope);
      ReaderMutexLock lock(&realm->mu);
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

absl::Status Router::HoldFrame(sig::v1::Envelope& envelope, const NoticeEncoder* notices) {
  std::shared_ptr<Realm> realm = FindOrCreateRealm(envelope.realm());
  {
    MutexLock lock(&realm->mu);
    if (realm->dead) return absl::NotFoundError("realm is gone");
    // The target may have joined since the index lookup; Join holds this lock, so the member
    // table is authoritative here.
    if (auto member = realm->members.find(envelope.to()); member != realm->members.end()) {
      if (auto target = member->second.peer.lock()) {
        target->Deliver(FrameOf(envelope));
        return absl::OkStatus();
      }
    }
    Hold& hold = realm->holds[envelope.to()];
    if (hold.frames.empty()) {
      hold.created = clock_.Now();
      hold.notices = notices;
    }
    SenderHolds& by_sender = realm->held_by_sender[envelope.from()];
    const std::size_t size = envelope.frame().size();
    // The router-wide bounds are taken first, exactly across threads, and given back on refusal.
    const std::size_t frames_then = held_frames_.fetch_add(1, std::memory_order_relaxed) + 1;
    const std::size_t bytes_then = held_bytes_.fetch_add(size, std::memory_order_relaxed) + size;
    const bool over_total =
        frames_then > hold_limits_.max_total_frames || bytes_then > hold_limits_.max_total_bytes;
    if (over_total || hold.frames.size() >= hold_limits_.max_frames_per_target ||
        hold.bytes + size > hold_limits_.max_bytes_per_target ||
        by_sender.frames >= hold_limits_.max_frames_per_sender ||
        by_sender.bytes + size > hold_limits_.max_bytes_per_sender) {
      Unhold(1, size);
      if (by_sender.frames == 0) realm->held_by_sender.erase(envelope.from());
      if (hold.frames.empty()) realm->holds.erase(envelope.to());
      return absl::ResourceExhaustedError("too many frames held for absent peers");
    }
    ++by_sender.frames;
    by_sender.bytes += size;
    hold.bytes += size;
    hold.frames.push_back(
        HeldFrame{std::string(envelope.from()), FrameOf(envelope)});
  }
  MutexLock lock(&holding_mu_);
  // The entry may still point at an earlier realm object of the same name, dropped since.
  holding_realms_.insert_or_assign(envelope.realm(), realm);
  return absl::OkStatus();
}

void Router::ReleaseHold(Realm& realm, Hold& hold) {
  for (const HeldFrame& held : hold.frames) {
    auto it = realm.held_by_sender.find(held.from);
    if (it == realm.held_by_sender.end()) continue;
    it->second.bytes -= held.frame->bytes.size();
    if (--it->second.frames == 0) realm.held_by_sender.erase(it);
  }
  Unhold(hold.frames.size(), hold.bytes);
  hold.frames.clear();
  hold.bytes = 0;
}

void Router::DropHoldsFrom(Realm& realm, std::string_view sender) {
  auto sender_holds = realm.held_by_sender.find(sender);
  if (sender_holds == realm.held_by_sender.end()) return;
  Unhold(sender_holds->second.frames, sender_holds->second.bytes);
  realm.held_by_sender.erase(sender_holds);
  ShrinkIfSparse(realm.held_by_sender);
  for (auto it = realm.holds.begin(); it != realm.holds.end();) {
    std::vector<HeldFrame>& frames = it->second.frames;
    for (const HeldFrame& held : frames) {
      if (held.from == sender) it->second.bytes -= held.frame->bytes.size();
    }
    std::erase_if(frames, [&](const HeldFrame& held) { return held.from == sender; });
    if (frames.empty()) {
      realm.holds.erase(it++);
    } else {
      ++it;
    }
  }
  ShrinkIfSparse(realm.holds);
}

void Router::Unhold(std::size_t frames, std::size_t bytes) {
  held_frames_.fetch_sub(frames, std::memory_order_relaxed);
  held_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
}

void Router::ExpireHeld(absl::Time now, absl::Duration timeout) {
  std::vector<std::pair<std::string, std::shared_ptr<Realm>>> realms;
  {
    MutexLock lock(&holding_mu_);
    for (auto it = holding_realms_.begin(); it != holding_realms_.end();) {
      if (auto realm = it->second.lock()) {
        realms.emplace_back(it->first, std::move(realm));
        ++it;
      } else {
        holding_realms_.erase(it++);
      }
    }
    ShrinkIfSparse(holding_realms_);
  }
  for (auto& [realm_name, realm] : realms) {
    bool empty = false;
    bool unused = false;
    {
      MutexLock lock(&realm->mu);
      for (auto it = realm->holds.begin(); it != realm->holds.end();) {
        Hold& hold = it->second;
        if (now - hold.created < timeout) {
          ++it;
          continue;
        }
        std::vector<std::string_view> told;
        for (const HeldFrame& held : hold.frames) {
          if (std::find(told.begin(), told.end(), held.from) != told.end()) continue;
          told.push_back(held.from);
          auto sender = realm->members.find(held.from);
          if (hold.notices == nullptr || sender == realm->members.end()) continue;
          if (auto peer = sender->second.peer.lock()) {
            if (Frame frame = hold.notices->Expired(it->first, held.from)) peer->Deliver(frame);
          }
        }
        ReleaseHold(*realm, hold);
        realm->holds.erase(it++);
      }
      ShrinkIfSparse(realm->holds);
      ShrinkIfSparse(realm->held_by_sender);
      empty = realm->holds.empty();
      unused = empty && realm->members.empty();
    }
    if (unused) DropRealmIfEmpty(realm_name, realm);
    if (empty) {
      // Re-checked under both locks: a hold added after the sweep keeps its realm listed.
      MutexLock lock(&holding_mu_);
      MutexLock realm_lock(&realm->mu);
      auto it = holding_realms_.find(realm_name);
      if (realm->holds.empty() && it != holding_realms_.end() && it->second.lock() == realm) {
        holding_realms_.erase(it);
      }
    }
  }
}

bool Router::Contains(std::string_view realm, std::string_view name) const {
  const IndexShard& shard = IndexShardFor(realm, name);
  ReaderMutexLock lock(&shard.mu);
  return shard.map.contains(IndexKeyView{realm, name});
}

std::vector<std::string> Router::Names(std::string_view realm_name) const {
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

void Router::Publish(PeerEvent::Kind kind, Protocol protocol, std::string_view realm,
                     std::string_view name, std::uint64_t conn_id) const {
  if (events_ == nullptr || events_->watchers() == 0) return;
  PeerEvent event;
  event.kind = kind;
  event.protocol = protocol;
  event.realm = std::string(realm);
  event.name = std::string(name);
  event.conn_id = conn_id;
  event.at = clock_.Now();
  events_->Publish(event);
}

std::vector<Router::PeerRecord> Router::ListPeers(const PeerFilter& filter,
                                                  std::uint64_t after_conn_id,
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

std::optional<Router::PeerRecord> Router::FindPeer(std::string_view realm_name,
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
