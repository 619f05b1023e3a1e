#pragma once

#include <cstddef>
#include <vector>

#include "core/peer.h"

namespace sig::edge {

// The frames waiting to be written to one WebSocket, bounded in count and bytes. The session
// writes from the front and keeps at most one write in flight; the queue only says when to
// start one. Not thread-safe: owned by the session, used on its executor.
class WriteQueue {
 public:
  enum class PushResult {
    kStartWrite,  // the queue was idle: the caller must start writing front()
    kQueued,      // a write is in flight; this frame follows it
    kOverflow,    // over a bound: nothing was queued; the peer is a slow consumer
  };

  WriteQueue(std::size_t max_frames, std::size_t max_bytes)
      : max_frames_(max_frames), max_bytes_(max_bytes) {}

  PushResult Push(core::Frame frame);

  // Whether Push would refuse a frame of `frame_bytes` now.
  bool Full(std::size_t frame_bytes) const;

  // The frame being written. Only valid while !empty().
  const core::Frame& front() const { return (*this)[0]; }

  // The i-th frame from the front; i < size().
  const core::Frame& operator[](std::size_t i) const {
    return ring_[(head_ + i) & (ring_.size() - 1)];
  }

  // Drops the frame whose write completed. Returns true when another one is waiting.
  bool PopFront();

  // Drops everything; only when the session is closing and will push no more. The frame in
  // flight stays alive through its write's handler, which must not PopFront an empty queue.
  void Clear();

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return bytes_; }

 private:
  static constexpr std::size_t kFirstCapacity = 4;

  void Grow();
  void ShrinkIfEmpty();

  std::size_t max_frames_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  // A ring with a power-of-two capacity, allocated at the first push: std::deque allocates
  // 576 bytes up front, for every idle peer. Shrunk back once empty after a burst.
  std::vector<core::Frame> ring_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace sig::edge
