#include "edge/write_queue.h"

#include <utility>

namespace sig::edge {

WriteQueue::PushResult WriteQueue::Push(core::Frame frame) {
  const std::size_t size = frame->bytes.size();
  // A single frame larger than max_bytes is still accepted into an empty queue; the frame
  // limit on input already bounds what peers can make us send.
  if (!frames_.empty() &&
      (frames_.size() >= max_frames_ || bytes_ + size > max_bytes_)) {
    return PushResult::kOverflow;
  }
  const bool idle = frames_.empty();
  bytes_ += size;
  frames_.push_back(std::move(frame));
  return idle ? PushResult::kStartWrite : PushResult::kQueued;
}

bool WriteQueue::PopFront() {
  bytes_ -= frames_.front()->bytes.size();
  frames_.pop_front();
  return !frames_.empty();
}

void WriteQueue::Clear() {
  frames_.clear();
  bytes_ = 0;
}

}  // namespace sig::edge
