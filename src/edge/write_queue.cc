#include "edge/write_queue.h"

#include <utility>

namespace sig::edge {

bool WriteQueue::Full(std::size_t frame_bytes) const {
  // A single frame larger than max_bytes is still accepted into an empty queue; the frame
  // limit on input already bounds what peers can make us send.
  return size_ != 0 && (size_ >= max_frames_ || bytes_ + frame_bytes > max_bytes_);
}

WriteQueue::PushResult WriteQueue::Push(core::Frame frame) {
  const std::size_t size = frame->bytes.size();
  if (Full(size)) return PushResult::kOverflow;
  if (size_ == ring_.size()) Grow();
  const bool idle = size_ == 0;
  bytes_ += size;
  ring_[(head_ + size_) & (ring_.size() - 1)] = std::move(frame);
  ++size_;
  return idle ? PushResult::kStartWrite : PushResult::kQueued;
}

void WriteQueue::Grow() {
  std::vector<core::Frame> bigger(ring_.empty() ? kFirstCapacity : 2 * ring_.size());
  for (std::size_t i = 0; i < size_; ++i) {
    bigger[i] = std::move(ring_[(head_ + i) & (ring_.size() - 1)]);
  }
  ring_ = std::move(bigger);
  head_ = 0;
}

bool WriteQueue::PopFront() {
  core::Frame& front = ring_[head_];
  bytes_ -= front->bytes.size();
  front.reset();
  head_ = (head_ + 1) & (ring_.size() - 1);
  --size_;
  if (size_ == 0) ShrinkIfEmpty();
  return size_ != 0;
}

void WriteQueue::Clear() {
  for (core::Frame& frame : ring_) frame.reset();
  size_ = 0;
  bytes_ = 0;
  ShrinkIfEmpty();
}

void WriteQueue::ShrinkIfEmpty() {
  head_ = 0;
  if (ring_.size() > kFirstCapacity) std::vector<core::Frame>(kFirstCapacity).swap(ring_);
}

}  // namespace sig::edge
