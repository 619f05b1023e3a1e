#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace sig::core {

// Every bound the server enforces, with its default, in one place. sigd exposes each one as a
// flag (and an environment variable); see README "Configuration".
struct Limits {
  // Names and rooms: 1 to this many Unicode code points, no control characters (td close 4001).
  std::size_t max_name_chars = 64;
  // Largest WebSocket message accepted; one byte more closes with 1009. SDP is 2 to 10 KiB.
  std::size_t max_frame_bytes = 64 * 1024;
  // Deepest JSON nesting accepted in a frame; deeper gets an invalid_json error frame.
  std::size_t max_json_depth = 64;
  // Per-peer send queue. Overflowing either bound closes the peer with 1013 (slow consumer).
  std::size_t send_queue_max_frames = 1024;
  std::size_t send_queue_max_bytes = 1024 * 1024;
  // Bad frames (error frames sent back) a peer may burst before it is closed with 1008; one more
  // is allowed per bad_frame_refill after that.
  std::uint32_t bad_frame_burst = 10;
  absl::Duration bad_frame_refill = absl::Seconds(1);
  // Messages (and pings) one WebSocket peer may send: a burst of rate_limit_burst, then
  // rate_limit_per_second on average. Over it, sigd stops reading from the peer until its next
  // message is due, so TCP slows the sender and nothing is lost; a peer over it for
  // rate_limit_grace without a break is closed with 1008. 0 per second: no limit. Trickle ICE
  // sends a few dozen candidates at once; a flood is thousands per second.
  std::uint32_t rate_limit_burst = 500;
  std::uint32_t rate_limit_per_second = 200;
  absl::Duration rate_limit_grace = absl::Seconds(10);
  // WebSocket connections open at once (both protocols); one more upgrade gets HTTP 503.
  std::size_t max_connections = 100000;
  // WebSocket connections open at once from one client address (IPv6: one /64); one more
  // upgrade gets HTTP 503. 0: no limit. Generous, for many users behind one NAT.
  std::size_t max_connections_per_ip = 256;
  // Auth on: bad tokens one client address may present at once, and how often it may present
  // one more after that; past it, its logins are closed with 1008 unchecked.
  std::uint32_t auth_failure_burst = 10;
  absl::Duration auth_failure_refill = absl::Seconds(6);
  // WebSocket ping period. A peer from which nothing (not even a pong) arrives for two periods
  // is dropped.
  absl::Duration ping_interval = absl::Seconds(30);
  // Deadline for a complete HTTP request and for the WebSocket handshake.
  absl::Duration http_timeout = absl::Seconds(30);
  std::size_t max_http_header_bytes = 8 * 1024;
  // How long a closing peer gets to flush its queue and finish the close handshake before its
  // socket is shut.
  absl::Duration close_timeout = absl::Seconds(5);
  // PeerJS: messages to a peer that is not connected are held for it (bounded per target, per
  // sender and in all) and delivered when it connects, or answered with EXPIRE after this long.
  absl::Duration peerjs_expire_timeout = absl::Seconds(5);
  std::size_t held_max_frames_per_target = 64;
  std::size_t held_max_bytes_per_target = 256 * 1024;
  std::size_t held_max_frames_per_sender = 64;
  std::size_t held_max_bytes_per_sender = 256 * 1024;
  // Frames and bytes held for absent peers across the whole server; past either every sender
  // gets EXPIRE at once. A sender's holds are dropped when it leaves.
  std::size_t held_max_frames = 100000;
  std::size_t held_max_bytes = 64 * 1024 * 1024;
  // PeerJS: a peer that sends no HEARTBEAT for this long is closed. 90 s, not the reference
  // CLI's 60 s, which throttled background tabs miss (peerjs-server PR #436).
  absl::Duration peerjs_alive_timeout = absl::Seconds(90);
  // PeerJS: registered peers per key; one more gets the "concurrent user limit" ERROR.
  std::size_t peerjs_concurrent_limit = 5000;
  // On SIGTERM: how long to wait for every peer to finish closing before the process exits.
  absl::Duration shutdown_grace = absl::Seconds(5);
};

}  // namespace sig::core
