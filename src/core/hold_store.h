#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/frame.h"
#include "core/mutex.h"
#include "core/peer.h"
#include "core/string_map.h"

namespace sig::core {

// Bounds on frames held for absent peers: per target, per sender, and for the whole store, so
// that what holds can cost is a sum of named limits (docs/security.md). Bytes are the frames'
// encoded sizes.
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

// The bounded offline queue of PeerJS: frames sent to a name nobody holds yet, kept until that
// name is claimed (Take) or the hold expires (Expire), as peerjs-server does. Knows nothing of
// names' holders: the router asks the directory. Thread-safe; realms are spread over kShards
// mutexes.
class HoldStore {
 public:
  enum class HoldOutcome { kHeld, kDelivered, kOverLimit };

  HoldStore(const Clock& clock, HoldLimits limits) : clock_(clock), limits_(limits) {}
  HoldStore(const HoldStore&) = delete;
  HoldStore& operator=(const HoldStore&) = delete;

  // Holds `frame` from `from` for `to` in `realm`, unless `deliver_now`, called under the lock
  // that Take takes, delivers it (the target was claimed since the caller looked it up): so a
  // frame is either delivered or found by the claimant's Take, never stranded. `notices`
  // encodes the EXPIRE for the sender. kOverLimit past any bound: nothing is held.
  HoldOutcome Hold(std::string_view realm, std::string_view from, std::string_view to, Frame frame,
                   const NoticeEncoder* notices, absl::FunctionRef<bool(const Frame&)> deliver_now);

  // Hands each frame held for `to` in `realm` to `each` with its sender, in the order they
  // came, and holds them no longer. `each` runs under the lock Hold takes (it must not call back
  // into the store), so frames a Take hands on keep their order against a later Take's.
  void Take(std::string_view realm, std::string_view to,
            absl::FunctionRef<void(std::string_view from, const Frame& frame)> each);

  // Drops every frame `sender` holds in `realm`: nobody would answer them.
  void DropFrom(std::string_view realm, std::string_view sender);

  // Drops every hold created `timeout` or more before `now` and calls `tell` once per
  // (sender, target) of the dropped frames, under the store's lock (it must not call back in).
  void Expire(absl::Time now, absl::Duration timeout,
              absl::FunctionRef<void(std::string_view realm, std::string_view absent,
                                     std::string_view sender, const NoticeEncoder& notices)>
                  tell);

  // Frames currently held, and their bytes.
  std::size_t held_frames() const { return held_frames_.load(std::memory_order_relaxed); }
  std::size_t held_bytes() const { return held_bytes_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kShards = 16;

  struct HeldFrame {
    std::string from;
    Frame frame;
  };
  // Frames held for one absent name. Expires as a whole, `created` plus the timeout after the
  // first frame, as peerjs-server does.
  struct TargetHold {
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
  struct RealmHolds {
    StringMap<TargetHold> holds;               // by target
    StringMap<SenderHolds> by_sender;
  };
  struct Shard {
    Mutex mu;
    StringMap<RealmHolds> realms ABSL_GUARDED_BY(mu);
  };

  Shard& ShardFor(std::string_view realm);
  // Gives back a hold's frames to the per-sender and store-wide counts and empties it.
  void Release(RealmHolds& realm, TargetHold& hold);
  // Takes back `frames` frames of `bytes` from the store-wide counts.
  void Unhold(std::size_t frames, std::size_t bytes);

  const Clock& clock_;
  const HoldLimits limits_;
  std::array<Shard, kShards> shards_;
  // Bounded by limits_.max_total_frames and max_total_bytes, taken exactly across threads.
  std::atomic<std::size_t> held_frames_{0};
  std::atomic<std::size_t> held_bytes_{0};
};

}  // namespace sig::core
