#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sig::core {

// An encoded frame, immutable and shared: a broadcast is encoded once and every recipient's queue
// holds the same buffer.
using Frame = std::shared_ptr<const std::string>;

inline Frame MakeFrame(std::string bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

// A connected peer as the router sees it. Implemented by edge::WsSession (and FakePeer in
// tests). The router holds only weak references, so a peer's lifetime is its connection's.
//
// Thread rule: Deliver and Close are the only methods that may be called from any thread; they
// hand the work to the peer's own executor and return at once. They never call back into the
// router synchronously.
class Peer {
 public:
  virtual ~Peer() = default;

  // Queues `frame` for sending. Frames delivered from one thread arrive in that order.
  virtual void Deliver(Frame frame) = 0;

  // Closes the connection with a WebSocket close code after flushing what is queued.
  virtual void Close(std::uint16_t code, std::string_view reason) = 0;
};

// Encodes the server-originated frames of one protocol, so the router can announce joins and
// leaves without knowing JSON. Returning nullptr means the protocol announces nothing.
class NoticeEncoder {
 public:
  virtual ~NoticeEncoder() = default;
  virtual Frame PeerJoined(std::string_view name) const = 0;
  virtual Frame PeerLeft(std::string_view name) const = 0;
  // Tells `sender` that frames it sent to `absent` were dropped undelivered.
  virtual Frame Expired(std::string_view absent, std::string_view sender) const = 0;
};

}  // namespace sig::core
