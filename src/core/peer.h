#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "core/close_code.h"
#include "core/frame.h"
#include "core/outcome.h"

namespace sig::core {

// What the admin plane may see of one connection: a snapshot, consistent per field only.
struct PeerInfo {
  std::string remote_address;  // "ip:port" of the client socket
  absl::Time connected_at;
  std::uint64_t frames_in = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t bytes_out = 0;
  std::size_t queue_depth = 0;  // frames waiting in the send queue
};

// A connected peer as the router sees it. Implemented by edge::WsSession (and FakePeer in
// tests). The router holds only weak references, so a peer's lifetime is its connection's.
//
// Thread rule: every method may be called from any thread. Deliver and Close hand the work to
// the peer's own executor and return at once; none calls back into the router synchronously.
class Peer {
 public:
  virtual ~Peer() = default;

  // Queues `frame` for sending. Frames delivered from one thread arrive in that order.
  virtual void Deliver(Frame frame) = 0;

  // A frame this peer sent to `target` could not be delivered. The peer's answer (a td error
  // frame, a PeerJS EXPIRE) runs on its own executor: at once when called there, so it keeps its
  // place among the peer's replies.
  virtual void RelayFailed(RelayFailure failure, std::string_view target) = 0;

  // Closes the connection with a WebSocket close code after flushing what is queued; `why` is
  // what sig_disconnects_total counts (codes alone do not tell a kick with 1000 from a client's).
  virtual void Close(std::uint16_t code, std::string_view reason, DisconnectReason why) = 0;

  // Another connection took this peer's name over (a PeerJS reconnect with the same token, or a
  // login with a valid token for the same subject): closes it as its protocol says. Any thread.
  virtual void Replaced() {
    Close(ToWire(CloseCode::kNormal), "replaced by a new connection", DisconnectReason::kReplaced);
  }

  virtual PeerInfo Info() const = 0;
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
