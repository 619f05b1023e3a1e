#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sig::bench {

// What one wire protocol looks like to a load client: where to connect, how to log in, what a
// relayed message and a keep-alive look like. Messages carry "t", the sender's monotonic send
// time in nanoseconds, which the receiver reads back for latency (same process, same clock).
class Dialect {
 public:
  enum class Kind { kTd, kPeerJs };

  // `path`: the WebSocket path (td: any; PeerJS: the mount point plus "/peerjs").
  Dialect(Kind kind, std::string path, std::string key, std::size_t message_bytes);

  Kind kind() const { return kind_; }
  std::string_view name() const { return kind_ == Kind::kTd ? "td" : "peerjs"; }

  // The request target for a peer named `id`.
  std::string Target(std::string_view id) const;
  // The first frame a peer sends, if the protocol has one (td: login).
  std::optional<std::string> Login(std::string_view id, std::string_view room) const;
  // Whether `frame` is the server's answer to a successful login (td: login_success; PeerJS:
  // OPEN), and whether it refused it.
  bool IsLoggedIn(std::string_view frame) const;
  bool IsRefusal(std::string_view frame) const;

  // A candidate-like message of about message_bytes for peer `to`, stamped with `sent_ns`.
  std::string Relay(std::string_view to, std::int64_t sent_ns) const;
  // A td broadcast (stream_started) stamped with `sent_ns`.
  std::string Broadcast(std::int64_t sent_ns) const;
  // What a live client sends periodically (td: ping; PeerJS: HEARTBEAT).
  std::string_view KeepAlive() const;

  // The "t" stamp of a relayed frame, if it has one.
  static std::optional<std::int64_t> Stamp(std::string_view frame);

 private:
  Kind kind_;
  std::string path_;
  std::string key_;
  std::string padding_;
};

}  // namespace sig::bench
