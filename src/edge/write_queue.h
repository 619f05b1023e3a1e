#pragma once

#include <cstddef>
#include <deque>

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

  // The frame being written. Only valid while !empty().
  const core::Frame& front() const { return frames_.front(); }

  // The i-th frame from the front; i < size().
  const core::Frame& operator[](std::size_t i) const { return frames_[i]; }

  // Drops the frame whose write completed. Returns true when another one is waiting.
  bool PopFront();

  // Drops everything; only when the session is closing and will push no more. The frame in
  // flight stays alive through its write's handler, which must not PopFront an empty queue.
  void Clear();

  bool empty() const { return frames_.empty(); }
  std::size_t size() const { return frames_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t max_frames_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::deque<core::Frame> frames_;
};

}  // namespace sig::edge
