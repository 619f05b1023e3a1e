#include "edge/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/strings.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/log.h"
#include "edge/http_session.h"

namespace sig::edge {

namespace net = boost::asio;
using error_code = boost::system::error_code;

// Accepts connections on contexts[0] and deals each socket to the next io_context in turn.
class Server::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(std::vector<std::unique_ptr<net::io_context>>& contexts, EdgeContext& state,
           HttpRole role)
      : contexts_(contexts),
        state_(state),
        role_(role),
        acceptor_(*contexts[0]),
        retry_timer_(*contexts[0]) {}

  // IPv6's unspecified address ("::") takes IPv4 too (dual-stack), whatever the host's
  // net.ipv6.bindv6only says.
  error_code Open(const net::ip::tcp::endpoint& endpoint) {
    error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec && endpoint.address().is_v6() && endpoint.address().is_unspecified()) {
      acceptor_.set_option(net::ip::v6_only(false), ec);
    }
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    // Accepted sockets inherit it (Linux copies the listener's TCP options into each child; a
    // test checks): one setsockopt per listener instead of one per connection.
    if (!ec) acceptor_.set_option(net::ip::tcp::no_delay(true), ec);
    if (!ec) DeferAccept(ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      error_code ignored;
      acceptor_.close(ignored);
    }
    return ec;
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // TCP_DEFER_ACCEPT: the kernel hands a connection over only once its first bytes (the HTTP
  // request) have arrived, as nginx's `deferred` listen option does. Every client here speaks
  // first, so the accept and the request come with one wakeup instead of two and the request
  // is read at once, without an epoll round. A connection that stays silent waits in the
  // kernel (bounded by its SYN backlog, not by max_connections) for about http_timeout, which
  // Linux counts in SYN-ACK retransmissions; then the kernel drops it or hands it over, and
  // the HTTP phase closes it at its own deadline (with http_timeout 2 s: closed after 5 s).
  void DeferAccept(error_code& ec) {
    const absl::Duration wait = absl::Ceil(state_.limits.http_timeout, absl::Seconds(1));
    const int seconds = static_cast<int>(std::max<std::int64_t>(1, absl::ToInt64Seconds(wait)));
    if (::setsockopt(acceptor_.native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds,
                     sizeof seconds) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }

  void Accept() {
    net::io_context& target = *contexts_[next_++ % contexts_.size()];
    // Accepted straight onto the target context, as its Socket type (edge/socket.h).
    acceptor_.async_accept(target, [self = shared_from_this()](error_code ec, Socket socket) {
      if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (!ec) {
        self->EndFailures();
        StartHttpSession(std::move(socket), self->state_, self->role_);
        self->Accept();
        return;
      }
      self->OnAcceptFailed(ec);
    });
  }

  void Close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      error_code ec;
      self->acceptor_.close(ec);
      self->retry_timer_.cancel();
    });
  }

 private:
  // Out of descriptors or memory, accept fails at once for as long as connections wait in the
  // backlog: retrying at once spun a core and logged a million lines in 5 s. Such a failure
  // pauses accepting for kRetryDelay, as nginx does; others (a connection reset before it was
  // accepted) are retried at once. Counted each; logged once per episode.
  static constexpr auto kRetryDelay = std::chrono::milliseconds(100);

  void OnAcceptFailed(const error_code& ec) {
    state_.stats.CountAcceptFailure();
    // accept's errors are errno values. Only the value is read: out of descriptors, a virtual
    // call on the error category (ec.message()) is what UBSan checks with a pipe it cannot open,
    // and it then reports a false error.
    const int error = ec.value();
    if (failures_++ == 0) {
      const char* what = strerrordesc_np(error);
      core::LogWarning("accept failed: ", what != nullptr ? what : "unknown error", " (errno ",
                       error, "); retrying every ", kRetryDelay.count(), " ms while it fails");
    }
    if (error != EMFILE && error != ENFILE && error != ENOBUFS && error != ENOMEM) {
      Accept();
      return;
    }
    retry_timer_.expires_after(kRetryDelay);
    retry_timer_.async_wait([self = shared_from_this()](error_code timer_ec) {
      if (!timer_ec && self->acceptor_.is_open()) self->Accept();
    });
  }

  void EndFailures() {
    if (failures_ == 0) return;
    core::LogInfo("accepting again after ", failures_, " failed accepts");
    failures_ = 0;
  }

  std::vector<std::unique_ptr<net::io_context>>& contexts_;
  EdgeContext& state_;
  const HttpRole role_;
  net::ip::tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::size_t next_ = 0;
  std::uint64_t failures_ = 0;  // in a row, since the last accept that worked
};


// Runs a task every `interval` of real time on one io_context until stopped.
class Server::PeriodicTask : public std::enable_shared_from_this<PeriodicTask> {
 public:
  PeriodicTask(net::io_context& io, absl::Duration interval, std::function<void()> task)
      : timer_(io), interval_(interval), task_(std::move(task)) {}

  void Start() {
    timer_.expires_after(absl::ToChronoNanoseconds(interval_));
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec) return;
      self->task_();
      self->Start();
    });
  }

  // Any thread.
  void Stop() {
    net::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  }

 private:
  net::steady_timer timer_;
  absl::Duration interval_;
  std::function<void()> task_;
};

// Closes what is left of a drain with 1012 once its grace period is over, on contexts[0].
class Server::DrainTimer : public std::enable_shared_from_this<DrainTimer> {
 public:
  DrainTimer(net::io_context& io, EdgeContext& state) : timer_(io), state_(state) {}

  // Any thread.
  void Start(absl::Duration grace) {
    net::post(timer_.get_executor(), [self = shared_from_this(), grace] {
      self->timer_.expires_after(absl::ToChronoNanoseconds(grace));
      self->timer_.async_wait([self](error_code ec) {
        if (ec) return;
        core::LogInfo("drain grace period over: closing ", self->state_.connections.size(),
                      " connections with 1012");
        self->state_.connections.CloseAll(core::CloseCode::kServiceRestart, "server draining",
                                          core::DisconnectReason::kDrain);
      });
    });
  }

  void Stop() {
    net::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  }

 private:
  net::steady_timer timer_;
  EdgeContext& state_;
};

Server::Server(Options options, core::Node& node)
    : options_(std::move(options)), state_(node, options_.peerjs, options_.allowed_origins) {
  state_.verifier = options_.verifier;
  state_.turn = options_.turn;
  state_.turn_public = options_.turn_public;
  state_.trusted_proxies = options_.trusted_proxies;
  state_.proxy_protocol = options_.proxy_protocol;
}

Server::~Server() { Shutdown(); }

absl::Status Server::Start() {
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    if (absl::Status s = LoadTls(); !s.ok()) return s;
  }
  unsigned n = options_.threads != 0 ? options_.threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  for (unsigned i = 0; i < n; ++i) contexts_.push_back(std::make_unique<net::io_context>(1));

  error_code ec;
  net::ip::address address = net::ip::make_address(options_.host, ec);
  if (ec) return absl::InvalidArgumentError(core::StrCat("bad host ", options_.host));
  listener_ = std::make_shared<Listener>(contexts_, state_, HttpRole::kPublic);
  ec = listener_->Open({address, options_.port});
  // A host without IPv6 (disabled in the kernel, or a container without it) serves IPv4.
  if (ec == net::error::address_family_not_supported && address.is_v6() &&
      address.is_unspecified()) {
    core::LogWarning("no IPv6 on this host: listening on IPv4 only");
    address = net::ip::address_v4::any();
    ec = listener_->Open({address, options_.port});
  }
  if (ec) {
    return absl::UnavailableError(core::StrCat(
        "cannot listen on ", JoinHostPort(address.to_string(), options_.port), ": ", ec.message()));
  }
  host_ = address.to_string();
  port_ = listener_->port();
  if (options_.metrics) {
    const net::ip::address metrics_address = net::ip::make_address(options_.metrics->host, ec);
    if (ec) return absl::InvalidArgumentError(core::StrCat("bad host ", options_.metrics->host));
    metrics_listener_ = std::make_shared<Listener>(contexts_, state_, HttpRole::kMetrics);
    ec = metrics_listener_->Open({metrics_address, options_.metrics->port});
    if (ec) {
      return absl::UnavailableError(core::StrCat(
          "cannot listen for metrics on ",
          JoinHostPort(options_.metrics->host, options_.metrics->port), ": ", ec.message()));
    }
    metrics_port_ = metrics_listener_->port();
    state_.metrics_on_public = false;
    metrics_listener_->Accept();
  }
  listener_->Accept();
  // Holds older than peerjs_expire_timeout by the injected clock are dropped and their senders
  // told, checked every hold_sweep_interval of real time.
  sweeper_ = std::make_shared<PeriodicTask>(*contexts_[0], options_.hold_sweep_interval, [this] {
    state_.router.ExpireHeld(state_.clock.Now(), state_.limits.peerjs_expire_timeout);
  });
  sweeper_->Start();
  drain_timer_ = std::make_shared<DrainTimer>(*contexts_[0], state_);
  drain_listener_ = state_.lifecycle.AddListener(
      [timer = drain_timer_](core::Lifecycle::Phase phase, absl::Duration grace) {
        if (phase == core::Lifecycle::Phase::kDraining) timer->Start(grace);
        if (phase == core::Lifecycle::Phase::kServing) timer->Stop();  // an operator's Undrain
      });

  for (auto& context : contexts_) {
    threads_.emplace_back([&io = *context] {
      auto work = net::make_work_guard(io);
      io.run();
    });
  }
  return absl::OkStatus();
}

absl::Status Server::LoadTls() {
  if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and a key file");
  }
  // TLS 1.2 and 1.3 only, with OpenSSL's default cipher lists for them.
  tls_ = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  tls_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  error_code ec;
  tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        core::StrCat("TLS certificate ", options_.tls_cert_file, ": ", ec.message()));
  }
  tls_->use_private_key_file(options_.tls_key_file, net::ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        core::StrCat("TLS key ", options_.tls_key_file, ": ", ec.message()));
  }
  state_.tls = tls_.get();
  return absl::OkStatus();
}

void Server::Shutdown() {
  if (stopped_ || threads_.empty()) return;
  stopped_ = true;
  state_.lifecycle.Stop();
  // The listener holds the timer, which must not outlive its io_context.
  state_.lifecycle.RemoveListener(drain_listener_);
  listener_->Close();
  if (metrics_listener_) metrics_listener_->Close();
  sweeper_->Stop();
  drain_timer_->Stop();
  state_.connections.CloseAll(core::CloseCode::kGoingAway, "server shutting down",
                              core::DisconnectReason::kShutdown);
  // Sessions leave the set when their socket is done; wait for that, bounded.
  const absl::Time deadline = absl::Now() + state_.limits.shutdown_grace;
  while (state_.connections.size() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (state_.connections.size() > 0) {
    core::LogWarning(state_.connections.size(), " connections still open after the grace period");
  }
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_) thread.join();
}

}  // namespace sig::edge
