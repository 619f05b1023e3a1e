#include "core/hold_store.h"

#include <algorithm>
#include <utility>

#include "core/hash_map_shrink.h"
#include "core/shard.h"

namespace sig::core {

HoldStore::Shard& HoldStore::ShardFor(std::string_view realm) {
  return shards_[ShardIndex(StringHash{}(realm), kShards)];
}

HoldStore::HoldOutcome HoldStore::Hold(std::string_view realm_name, std::string_view from,
                                       std::string_view to, Frame frame,
                                       const NoticeEncoder* notices,
                                       absl::FunctionRef<bool(const Frame&)> deliver_now) {
  Shard& shard = ShardFor(realm_name);
  MutexLock lock(&shard.mu);
  if (deliver_now(frame)) return HoldOutcome::kDelivered;
  auto realm_it = shard.realms.find(realm_name);
  if (realm_it == shard.realms.end()) {
    realm_it = shard.realms.emplace(std::string(realm_name), RealmHolds{}).first;
  }
  RealmHolds& realm = realm_it->second;
  const std::size_t size = frame->bytes.size();
  // The store-wide bounds are taken first, exactly across threads, and given back on refusal.
  const std::size_t frames_then = held_frames_.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::size_t bytes_then = held_bytes_.fetch_add(size, std::memory_order_relaxed) + size;
  const auto target_it = realm.holds.find(to);
  const auto sender_it = realm.by_sender.find(from);
  const std::size_t target_frames = target_it == realm.holds.end() ? 0 : target_it->second.frames.size();
  const std::size_t target_bytes = target_it == realm.holds.end() ? 0 : target_it->second.bytes;
  const std::size_t sender_frames = sender_it == realm.by_sender.end() ? 0 : sender_it->second.frames;
  const std::size_t sender_bytes = sender_it == realm.by_sender.end() ? 0 : sender_it->second.bytes;
  if (frames_then > limits_.max_total_frames || bytes_then > limits_.max_total_bytes ||
      target_frames >= limits_.max_frames_per_target ||
      target_bytes + size > limits_.max_bytes_per_target ||
      sender_frames >= limits_.max_frames_per_sender ||
      sender_bytes + size > limits_.max_bytes_per_sender) {
    Unhold(1, size);
    if (realm.holds.empty()) shard.realms.erase(realm_it);
    return HoldOutcome::kOverLimit;
  }
  SenderHolds& by_sender = realm.by_sender[from];
  ++by_sender.frames;
  by_sender.bytes += size;
  TargetHold& hold = realm.holds[to];
  if (hold.frames.empty()) {
    hold.created = clock_.Now();
    hold.notices = notices;
  }
  hold.bytes += size;
  hold.frames.push_back(HeldFrame{std::string(from), std::move(frame)});
  return HoldOutcome::kHeld;
}

void HoldStore::Take(std::string_view realm_name, std::string_view to,
                     absl::FunctionRef<void(std::string_view from, const Frame& frame)> each) {
  Shard& shard = ShardFor(realm_name);
  MutexLock lock(&shard.mu);
  auto realm_it = shard.realms.find(realm_name);
  if (realm_it == shard.realms.end()) return;
  RealmHolds& realm = realm_it->second;
  auto hold = realm.holds.find(to);
  if (hold == realm.holds.end()) return;
  for (const HeldFrame& held : hold->second.frames) each(held.from, held.frame);
  Release(realm, hold->second);
  realm.holds.erase(hold);
  if (realm.holds.empty()) {
    shard.realms.erase(realm_it);
    ShrinkIfSparse(shard.realms);
  }
}

void HoldStore::DropFrom(std::string_view realm_name, std::string_view sender) {
  Shard& shard = ShardFor(realm_name);
  MutexLock lock(&shard.mu);
  auto realm_it = shard.realms.find(realm_name);
  if (realm_it == shard.realms.end()) return;
  RealmHolds& realm = realm_it->second;
  auto sender_holds = realm.by_sender.find(sender);
  if (sender_holds == realm.by_sender.end()) return;
  Unhold(sender_holds->second.frames, sender_holds->second.bytes);
  realm.by_sender.erase(sender_holds);
  ShrinkIfSparse(realm.by_sender);
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
  if (realm.holds.empty()) {
    shard.realms.erase(realm_it);
    ShrinkIfSparse(shard.realms);
  }
}

void HoldStore::Expire(
    absl::Time now, absl::Duration timeout,
    absl::FunctionRef<void(std::string_view realm, std::string_view absent,
                           std::string_view sender, const NoticeEncoder& notices)>
        tell) {
  for (Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    for (auto realm_it = shard.realms.begin(); realm_it != shard.realms.end();) {
      RealmHolds& realm = realm_it->second;
      for (auto it = realm.holds.begin(); it != realm.holds.end();) {
        TargetHold& hold = it->second;
        if (now - hold.created < timeout) {
          ++it;
          continue;
        }
        std::vector<std::string_view> told;
        for (const HeldFrame& held : hold.frames) {
          if (std::find(told.begin(), told.end(), held.from) != told.end()) continue;
          told.push_back(held.from);
          if (hold.notices != nullptr) tell(realm_it->first, it->first, held.from, *hold.notices);
        }
        Release(realm, hold);
        realm.holds.erase(it++);
      }
      if (realm.holds.empty()) {
        shard.realms.erase(realm_it++);
      } else {
        ShrinkIfSparse(realm.holds);
        ShrinkIfSparse(realm.by_sender);
        ++realm_it;
      }
    }
    ShrinkIfSparse(shard.realms);
  }
}

void HoldStore::Release(RealmHolds& realm, TargetHold& hold) {
  for (const HeldFrame& held : hold.frames) {
    auto it = realm.by_sender.find(held.from);
    if (it == realm.by_sender.end()) continue;
    it->second.bytes -= held.frame->bytes.size();
    if (--it->second.frames == 0) realm.by_sender.erase(it);
  }
  Unhold(hold.frames.size(), hold.bytes);
  hold.frames.clear();
  hold.bytes = 0;
}

void HoldStore::Unhold(std::size_t frames, std::size_t bytes) {
  held_frames_.fetch_sub(frames, std::memory_order_relaxed);
  held_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
}

}  // namespace sig::core
