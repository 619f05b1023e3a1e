#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct redisAsyncContext;
struct redisReply;

namespace sig::bus {

// A Redis reply, copied out of hiredis' reply tree (hiredis frees that when the callback
// returns).
struct RedisReply {
  enum class Type { kNil, kStatus, kError, kInteger, kString, kArray };
  Type type = Type::kNil;
  std::string str;  // kStatus, kError, kString
  std::int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray

  static RedisReply From(const redisReply& reply);
};

// Where Redis listens: "host:port" with an IP literal (hiredis resolves names with a blocking
// getaddrinfo, so names are refused), "[v6]:port", or a unix socket path (starting with '/').
struct RedisAddress {
  std::string host;  // IP literal; empty for a unix socket
  int port = 0;
  std::string unix_path;

  static absl::StatusOr<RedisAddress> Parse(std::string_view text);
};

// One connection to Redis through hiredis 0.14.1's async API, driven by Asio
// (cluster-design.md 3.1). Single use: once it has failed or been closed, the owner makes a new
// one (and owns the reconnect policy). Every method, and every callback it runs, runs on
// `executor`, which must not run handlers concurrently (an io_context run by one thread, or a
// strand).
//
// hiredis 0.14.1 has no timeouts: the connection bounds the connect (connect_timeout) and the
// oldest command in flight (command_timeout; past it the connection is wedged and is failed,
// which fails every command in flight).
class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  struct Options {
    RedisAddress address;
    std::string password;  // AUTH first when set
    absl::Duration connect_timeout = absl::Seconds(1);
    absl::Duration command_timeout = absl::Seconds(2);
  };
  using Reply = absl::StatusOr<RedisReply>;
  using ReplyCallback = absl::AnyInvocable<void(Reply) &&>;
  // A message on a subscribed channel.
  using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
  // The connection failed or was closed; `status` says why. Runs once.
  using DownHandler = std::function<void(absl::Status status)>;

  static std::shared_ptr<RedisConnection> Create(boost::asio::any_io_executor executor,
                                                 Options options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects (and authenticates); `done` runs once with the outcome. Call once.
  void Connect(absl::AnyInvocable<void(absl::Status) &&> done);

  // Sends one command (arguments are binary-safe); `done` gets the reply, an error status for a
  // Redis error reply (kError replies are returned as replies, not statuses), or Unavailable
  // when the connection is lost first. Commands are pipelined: those issued before the socket
  // is writable leave together.
  void Command(std::vector<std::string> argv, ReplyCallback done);

  // Puts the connection in subscriber mode (RESP2: it carries nothing else afterwards) and
  // subscribes to `channels`; messages go to the handler set with OnMessage.
  void Subscribe(const std::vector<std::string>& channels);

  // Unsubscribes from `channels`, which must be subscribed (hiredis 0.14.1 aborts on an
  // UNSUBSCRIBE reply for no channel). Messages already on their way may still arrive.
  void Unsubscribe(const std::vector<std::string>& channels);

  void OnMessage(MessageHandler handler) { on_message_ = std::move(handler); }
  // Redis confirmed a subscription: from then on, whatever is published there arrives.
  void OnSubscribed(std::function<void(std::string_view channel)> handler) {
    on_subscribed_ = std::move(handler);
  }
  // Redis confirmed an unsubscription: nothing published there arrives any more.
  void OnUnsubscribed(std::function<void(std::string_view channel)> handler) {
    on_unsubscribed_ = std::move(handler);
  }
  void OnDown(DownHandler handler) { on_down_ = std::move(handler); }

  // Closes the connection; commands in flight fail with Unavailable. Idempotent.
  void Close();

  bool connected() const { return connected_; }
  // Commands sent whose replies have not come.
  std::size_t in_flight() const { return in_flight_.size(); }

 private:
  struct Pending;

  RedisConnection(boost::asio::any_io_executor executor, Options options);

  // SUBSCRIBE or UNSUBSCRIBE `channels`; the replies go to OnSubscription.
  void SubscriptionCommand(std::string_view command, const std::vector<std::string>& channels);

  // hiredis' event hooks (ev.addRead etc.) and callbacks; `data` is the connection.
  static void AddRead(void* data);
  static void DelRead(void* data);
  static void AddWrite(void* data);
  static void DelWrite(void* data);
  static void Cleanup(void* data);
  static void OnConnected(const redisAsyncContext* context, int status);
  static void OnDisconnected(const redisAsyncContext* context, int status);
  static void OnReply(redisAsyncContext* context, void* reply, void* privdata);
  static void OnSubscription(redisAsyncContext* context, void* reply, void* privdata);

  enum class Direction : std::size_t { kRead, kWrite };
  // Waits for the socket to be ready in `direction` while hiredis wants it, then lets hiredis
  // read or write.
  void Arm(Direction direction);
  static void Want(void* data, Direction direction, bool want);
  void ArmDeadline();
  // Frees the hiredis context (never from inside a hiredis callback) and reports `status`.
  void Fail(absl::Status status);
  void ReportDown(absl::Status status);

  boost::asio::any_io_executor executor_;
  const Options options_;
  redisAsyncContext* context_ = nullptr;
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer deadline_;
  std::array<bool, 2> want_{};   // by Direction: hiredis asked for it
  std::array<bool, 2> armed_{};  // by Direction: a wait is pending
  bool connected_ = false;
  bool down_ = false;
  absl::AnyInvocable<void(absl::Status) &&> connect_done_;
  // When each command in flight was sent, oldest first (replies come in order).
  std::deque<std::chrono::steady_clock::time_point> in_flight_;
  bool deadline_armed_ = false;
  int in_hiredis_ = 0;  // inside a call into hiredis: the context must not be freed now
  absl::Status down_reason_;
  MessageHandler on_message_;
  std::function<void(std::string_view channel)> on_subscribed_;
  std::function<void(std::string_view channel)> on_unsubscribed_;
  DownHandler on_down_;
};

}  // namespace sig::bus
