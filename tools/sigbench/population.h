#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/time/time.h"
#include "dialect.h"
#include "load_connection.h"

namespace sig::bench {

// The load client's threads: one io_context each, connections spread across them. Runs until
// destroyed.
class ClientThreads {
 public:
  explicit ClientThreads(std::size_t count);
  ~ClientThreads();
  ClientThreads(const ClientThreads&) = delete;
  ClientThreads& operator=(const ClientThreads&) = delete;

  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& context(std::size_t worker) { return *contexts_[worker]; }

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

// A set of simulated peers, connected and logged in with a bounded number of handshakes in
// flight per thread, from source addresses taken in turn. Scenarios get their messages through
// the message callback, on the connection's thread.
class Population final : public LoadConnection::Handler {
 public:
  struct Options {
    boost::asio::ip::tcp::endpoint server;
    // When set, connections with odd indices go here instead: with relay's pairs (2i, 2i+1),
    // every message crosses from one cluster node to another.
    std::optional<boost::asio::ip::tcp::endpoint> odd_server;
    std::vector<boost::asio::ip::address> sources;
    std::size_t concurrency = 256;  // handshakes in flight, over all threads
    absl::Duration keep_alive = absl::Seconds(5);  // 0: none
  };
  using MessageFn = std::function<void(LoadConnection&, std::string_view)>;

  Population(ClientThreads& threads, const Dialect& dialect, Options options);
  ~Population() override;

  // Before Connect: peer `id` in `room` (td; ignored by PeerJS), on thread `worker`.
  void Add(std::string id, std::string room, std::size_t worker);
  void set_on_message(MessageFn fn) { on_message_ = std::move(fn); }

  struct ConnectResult {
    std::size_t logged_in = 0;
    std::size_t failed = 0;
    double seconds = 0;  // from the first connect to the last login
    std::string first_failure;
  };
  // Connects everyone and waits until each has logged in or failed, or until `deadline`.
  ConnectResult Connect(absl::Duration deadline);
  // Closes everyone cleanly and waits until all have ended, or until `deadline`. Returns how
  // many ended.
  std::size_t CloseAll(absl::Duration deadline);

  std::size_t size() const { return connections_.size(); }
  LoadConnection& at(std::size_t i) { return *connections_[i]; }
  // Runs `fn` on connection i's thread.
  void Post(std::size_t i, std::function<void(LoadConnection&)> fn);
  // Connections that ended after logging in, before CloseAll: the server dropped them.
  std::size_t dropped() const { return dropped_.load(); }

  void OnLogin(LoadConnection& connection) override;
  void OnMessage(LoadConnection& connection, std::string_view frame) override;
  void OnEnd(LoadConnection& connection) override;

 private:
  struct Worker;
  void StartNext(Worker& worker);
  void ScheduleKeepAlive(Worker& worker);

  ClientThreads& threads_;
  const Dialect& dialect_;
  Options options_;
  MessageFn on_message_;
  std::vector<std::shared_ptr<LoadConnection>> connections_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::size_t> logged_in_{0};
  std::atomic<std::size_t> failed_{0};
  std::atomic<std::size_t> ended_{0};
  std::atomic<std::size_t> dropped_{0};
  std::atomic<bool> closing_{false};
  std::atomic<std::int64_t> last_login_ns_{0};
  std::mutex failure_mu_;
  std::string first_failure_;  // guarded by failure_mu_
};

// Nanoseconds on the monotonic clock: the stamp relayed messages carry.
std::int64_t NowNanos();

}  // namespace sig::bench
