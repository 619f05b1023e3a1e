#include "population.h"

#include <algorithm>
#include <chrono>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/time/clock.h"

namespace sig::bench {

namespace net = boost::asio;

std::int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

ClientThreads::ClientThreads(std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    contexts_.push_back(std::make_unique<net::io_context>(1));
    guards_.push_back(net::make_work_guard(*contexts_.back()));
  }
  for (auto& context : contexts_) threads_.emplace_back([&io = *context] { io.run(); });
}

ClientThreads::~ClientThreads() {
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_) thread.join();
}

// Per-thread state, touched only on that thread once Connect has started.
struct Population::Worker {
  explicit Worker(net::io_context& io) : keep_alive_timer(io) {}
  std::vector<std::size_t> members;  // indexes into connections_
  std::size_t next = 0;              // the next member to start
  std::size_t budget = 0;            // handshakes this thread may still start at once
  net::steady_timer keep_alive_timer;
};

Population::Population(ClientThreads& threads, const Dialect& dialect, Options options)
    : threads_(threads), dialect_(dialect), options_(std::move(options)) {
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    workers_.push_back(std::make_unique<Worker>(threads_.context(i)));
  }
}

Population::~Population() {
  // Each worker (and its timer) dies on its own thread; the cancelled wait's handler only
  // looks at its error code.
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    std::atomic<bool> done{false};
    net::post(threads_.context(i), [&] {
      workers_[i]->keep_alive_timer.cancel();
      workers_[i].reset();
      done = true;
    });
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Population::Add(std::string id, std::string room, std::size_t worker) {
  worker %= threads_.size();
  workers_[worker]->members.push_back(connections_.size());
  connections_.push_back(std::make_shared<LoadConnection>(threads_.context(worker), dialect_,
                                                          *this, connections_.size(), worker,
                                                          std::move(id), std::move(room)));
}

void Population::StartNext(Worker& worker) {
  while (worker.budget > 0 && worker.next < worker.members.size()) {
    --worker.budget;
    const std::size_t i = worker.members[worker.next++];
    connections_[i]->Start(options_.odd_server && i % 2 == 1 ? *options_.odd_server : options_.server,
                           options_.sources[i % options_.sources.size()]);
  }
}

Population::ConnectResult Population::Connect(absl::Duration deadline) {
  const std::int64_t start = NowNanos();
  const std::size_t per_worker = std::max<std::size_t>(1, options_.concurrency / workers_.size());
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    net::post(threads_.context(i), [this, &worker = *workers_[i], per_worker] {
      worker.budget = per_worker;
      StartNext(worker);
      ScheduleKeepAlive(worker);
    });
  }
  const absl::Time until = absl::Now() + deadline;
  while (logged_in_.load() + failed_.load() < connections_.size() && absl::Now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ConnectResult result;
  result.logged_in = logged_in_.load();
  result.failed = failed_.load();
  result.seconds = static_cast<double>(last_login_ns_.load() - start) / 1e9;
  std::lock_guard lock(failure_mu_);
  result.first_failure = first_failure_;
  return result;
}

std::size_t Population::CloseAll(absl::Duration deadline) {
  closing_ = true;
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    Post(i, [](LoadConnection& c) { c.Close(); });
  }
  const std::size_t started = logged_in_.load() + failed_.load();
  const absl::Time until = absl::Now() + deadline;
  while (ended_.load() < started && absl::Now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return ended_.load();
}

void Population::Post(std::size_t i, std::function<void(LoadConnection&)> fn) {
  net::post(threads_.context(connections_[i]->worker()),
            [c = connections_[i], fn = std::move(fn)] { fn(*c); });
}

void Population::ScheduleKeepAlive(Worker& worker) {
  if (options_.keep_alive <= absl::ZeroDuration()) return;
  worker.keep_alive_timer.expires_after(absl::ToChronoNanoseconds(options_.keep_alive));
  worker.keep_alive_timer.async_wait([this, &worker](const boost::system::error_code& ec) {
    if (ec) return;
    for (std::size_t i : worker.members) {
      if (connections_[i]->logged_in()) connections_[i]->Send(std::string(dialect_.KeepAlive()));
    }
    ScheduleKeepAlive(worker);
  });
}

void Population::OnLogin(LoadConnection& connection) {
  last_login_ns_ = NowNanos();
  logged_in_.fetch_add(1);
  Worker& worker = *workers_[connection.worker()];
  ++worker.budget;
  StartNext(worker);
}

void Population::OnMessage(LoadConnection& connection, std::string_view frame) {
  if (on_message_) on_message_(connection, frame);
}

void Population::OnEnd(LoadConnection& connection) {
  ended_.fetch_add(1);
  if (connection.logged_in()) {
    if (!closing_) dropped_.fetch_add(1);
    return;
  }
  {
    std::lock_guard lock(failure_mu_);
    if (first_failure_.empty()) first_failure_ = connection.failure();
  }
  failed_.fetch_add(1);
  Worker& worker = *workers_[connection.worker()];
  ++worker.budget;
  StartNext(worker);
}

}  // namespace sig::bench
