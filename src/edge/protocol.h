#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "core/close_code.h"
#include "core/directory.h"
#include "core/outcome.h"
#include "core/peer.h"
#include "core/stats.h"

namespace sig::edge {

// What a wire protocol sees of its WebSocket connection. Implemented by WsSession; tests use a
// fake. Every method runs on the connection's own executor, the one Protocol callbacks run on.
class Connection {
 public:
  virtual ~Connection() = default;

  // Unique for the process's lifetime; the router uses it to tell a name's holders apart.
  virtual std::uint64_t id() const = 0;

  // The client's address, "ip:port" or "[ip]:port" (behind a trusted proxy, the one it names):
  // what the per-address budgets charge.
  virtual std::string_view remote_address() const = 0;

  // Queues a text frame. After Close, frames are dropped.
  virtual void Send(core::Frame frame) = 0;

  // Sends what is queued, then closes with `code`. Later calls are ignored.
  virtual void Disconnect(core::CloseCode code, std::string_view reason,
                          core::DisconnectReason why) = 0;

  // This connection as the router's Peer: weak, for registration; and as the sender of a relay,
  // which the router tells when a frame could not be delivered.
  virtual std::weak_ptr<core::Peer> AsPeer() = 0;
  virtual core::Peer& peer() = 0;

  // Runs `fn` on this connection's executor, at once when called there, while the connection
  // lives (never after its session is gone). For completions that may come from another thread,
  // such as a claim a cluster's directory decides.
  virtual void Dispatch(absl::AnyInvocable<void() &&> fn) = 0;
};

// One wire protocol's behaviour on one connection (a codec plus the session state it needs, e.g.
// who logged in). Owned by its WsSession and called only on that session's executor.
class Protocol {
 public:
  virtual ~Protocol() = default;

  // Which protocol this is, for per-protocol counters.
  virtual core::Protocol kind() const = 0;

  // The WebSocket handshake completed.
  virtual void OnOpen() {}

  // One complete text message arrived (already UTF-8 validated and within max_frame_bytes).
  virtual void OnText(std::string_view text) = 0;

  // A frame this connection sent to `target` was not delivered (core::Peer::RelayFailed).
  virtual void OnRelayFailed(core::RelayFailure failure, std::string_view target) = 0;

  // The connection is gone or going; unregister from the router, announcing the departure as
  // `notice` says (core::LeaveNoticeFor the close's reason). Called exactly once.
  virtual void OnClose(core::LeaveNotice notice) = 0;

  // Another connection took this one's name over (core::Peer::Replaced): close as the
  // protocol says.
  virtual void OnReplaced() = 0;

  // How often the session calls OnTick while open; zero for never.
  virtual absl::Duration tick_interval() const { return absl::ZeroDuration(); }
  virtual void OnTick() {}
};

}  // namespace sig::edge
