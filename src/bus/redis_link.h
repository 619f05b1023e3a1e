#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bus/redis_connection.h"
#include "bus/scripts.h"

namespace sig::bus {

// A node's two connections to Redis, kept up (cluster-design.md 3.2, 3.3): one for commands and
// scripts, one in subscriber mode (RESP2 allows nothing else on it). When either fails, both are
// dropped and made again after a backoff (from backoff_min doubling to backoff_max, each wait
// drawn from its upper half), and the channels subscribed so far are subscribed again. Up when
// both are connected.
//
// Runs on `executor`, which must not run handlers concurrently; every method is called there and
// every handler runs there.
class RedisLink : public std::enable_shared_from_this<RedisLink> {
 public:
  struct Options {
    RedisAddress address;
    std::string password;
    absl::Duration connect_timeout = absl::Seconds(1);
    absl::Duration command_timeout = absl::Seconds(2);
    absl::Duration backoff_min = absl::Milliseconds(50);
    absl::Duration backoff_max = absl::Seconds(2);
  };
  using UpHandler = std::function<void()>;
  using DownHandler = std::function<void(absl::Status)>;

  static std::shared_ptr<RedisLink> Create(boost::asio::any_io_executor executor, Options options);
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  // Handlers, set before Start. OnUp runs each time the link comes up (first, and after every
  // reconnect), OnDown each time it goes down.
  void OnUp(UpHandler handler) { on_up_ = std::move(handler); }
  void OnDown(DownHandler handler) { on_down_ = std::move(handler); }
  void OnMessage(RedisConnection::MessageHandler handler) { on_message_ = std::move(handler); }

  // Connects, and keeps connecting until Stop.
  void Start();
  // Closes both connections for good; commands in flight fail with Unavailable.
  void Stop();

  bool up() const { return up_; }
  // Times the link has come up again after going down.
  std::uint64_t reconnects() const { return reconnects_; }

  // On the command connection; Unavailable at once while the link is down.
  void Command(std::vector<std::string> argv, RedisConnection::ReplyCallback done);
  void RunScript(const Script& script, const std::vector<std::string>& keys,
                 const std::vector<std::string>& args, RedisConnection::ReplyCallback done);

  // Subscribes to `channel`, now if up and again after every reconnect, and runs `confirmed`
  // (if given) once Redis has confirmed it, so that what is published there from then on
  // arrives.
  void Subscribe(const std::string& channel, std::function<void()> confirmed = nullptr);
  // Stops following `channel`, unless someone waits for its confirmation (then it stays).
  // hiredis 0.14.1's bookkeeping is unreliable when a SUBSCRIBE and an UNSUBSCRIBE of one
  // channel are in flight together, or when the last subscription goes (cluster-design.md
  // 3.5), so a channel is subscribed again only after its UNSUBSCRIBE is confirmed, and the
  // link always holds kAnchorChannel.
  void Unsubscribe(const std::string& channel);
  // Channels subscribed or being subscribed, kAnchorChannel included. Any thread.
  std::size_t subscriptions() const { return channel_count_.load(std::memory_order_relaxed); }

  // Subscribed first on every connection and never left, so the subscriber's count of channels
  // never falls to zero.
  static constexpr std::string_view kAnchorChannel = "sig:anchor";

 private:
  RedisLink(boost::asio::any_io_executor executor, Options options);

  void Connect();
  void OnConnected(std::uint64_t generation);
  // Drops both connections and schedules the next attempt; reports down if the link was up.
  void Reset(std::uint64_t generation, absl::Status status);
  RedisConnection::Options ConnectionOptions() const;
  // While down: fails `done` with Unavailable (posted) and returns true.
  bool RefuseWhileDown(RedisConnection::ReplyCallback& done);

  boost::asio::any_io_executor executor_;
  const Options options_;
  boost::asio::steady_timer retry_timer_;
  std::mt19937_64 random_;
  std::shared_ptr<RedisConnection> commands_;
  std::shared_ptr<RedisConnection> subscriber_;
  // Each connect attempt's number: callbacks of an older attempt are ignored.
  std::uint64_t generation_ = 0;
  int connected_ = 0;  // connections of the current attempt that are up
  bool up_ = false;
  bool ever_up_ = false;
  bool stopped_ = false;
  absl::Duration backoff_;
  std::uint64_t reconnects_ = 0;
  std::set<std::string> channels_;
  std::atomic<std::size_t> channel_count_{1};  // channels_.size(), for other threads
  std::set<std::string> confirmed_;  // of channels_, those Redis confirmed since the link came up
  // UNSUBSCRIBEs sent on this connection and not yet confirmed; a channel among them that is in
  // channels_ again is subscribed once the confirmation comes.
  std::set<std::string> unsubscribing_;
  std::map<std::string, std::vector<std::function<void()>>> waiting_;  // for confirmation
  UpHandler on_up_;
  DownHandler on_down_;
  RedisConnection::MessageHandler on_message_;
};

}  // namespace sig::bus
