#include "edge/ws_session.h"

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "absl/time/time.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/rate_limiter.h"
#include "edge/write_queue.h"
#include "edge/ws_transport.h"
#include "edge/ws_frame.h"

namespace sig::edge {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using error_code = boost::system::error_code;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using transport::PlainIo;
using transport::TlsIo;

void Bump(std::atomic<std::uint64_t>& counter, std::uint64_t n) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

// Expected ends of a connection, not worth a log line.
bool IsQuietEnd(const error_code& ec) {
  return ec == net::error::operation_aborted || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::ssl::error::stream_truncated;
}

// One WebSocket connection: the read loop feeding its Protocol, a bounded write queue, and the
// close path. Everything runs on the socket's executor (one io_context thread); Deliver and
// Close, the only entry points from other threads, post onto it.
//
// The handshake is Beast's (websocket::stream::async_accept, with its checks of the upgrade and
// its error responses). The frames after it are sigd's own (WsReader, EncodeWsHeader): Beast's
// composed reads and writes and its per-stream state were about a quarter of sigd's user-space
// CPU per relayed message and over 3 KiB per idle peer (bench/analysis.md).
//
// Closing: the server's close frame follows the queued frames (or replaces them, for a slow
// consumer or a broken protocol). Once it is written and the peer's close frame has arrived
// (or the peer's input broke the protocol), the transport is shut down (Io::Teardown).
// close_timeout bounds the whole. A close from the peer is answered with its own code.
//
// Lifetime: owned by the handlers it has in flight (each binds shared_from_this()); the router
// and the connection set hold weak references only.
template <class Io>
class WsSession final : public core::Peer,
                        public Connection,
                        public std::enable_shared_from_this<WsSession<Io>> {
 public:
  // `remote_address`: the client's, as the HTTP session determined it (a trusted proxy may have
  // named it).
  template <class Stream>
  WsSession(Stream stream, EdgeContext& state, SessionSlot slot, std::string remote_address)
      : slot_(std::move(slot)),
        io_(std::move(stream)),
        remote_address_(std::move(remote_address)),
        context_(static_cast<net::io_context&>(
            net::query(io_.socket().get_executor(), net::execution::context))),
        state_(state),
        id_(state.NextConnectionId()),
        connected_at_(state.clock.Now()),
        reader_(state.limits.max_frame_bytes),
        queue_(state.limits.send_queue_max_frames, state.limits.send_queue_max_bytes),
        deadline_timer_(context_.get_executor()) {
    if (state_.limits.rate_limit_per_second > 0) {
      rate_.emplace(state_.limits.rate_limit_burst,
                    absl::Seconds(1) / static_cast<std::int64_t>(state_.limits.rate_limit_per_second),
                    state_.limits.rate_limit_grace, state_.clock.Now());
    }
  }

  void Run(http::request<http::string_body> request, const ProtocolFactory& make_protocol) {
    protocol_ = make_protocol(*this, state_,
                              std::string_view(request.target().data(), request.target().size()));
    // The handshake gets http_timeout; after it, liveness is the session's own keep-alive.
    handshake_.emplace(io_.stream());
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = ToChrono(state_.limits.http_timeout);
    timeout.idle_timeout = websocket::stream_base::none();
    timeout.keep_alive_pings = false;
    handshake_->set_option(timeout);
    handshake_->set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, "sigd");
    }));
    handshake_->async_accept(request,
                             beast::bind_front_handler(&WsSession::OnAccept, this->shared_from_this()));
  }

  // core::Peer: any thread. On this session's own thread the frame is queued at once: a post
  // would cost a handler, two reference-count round trips and an extra pass through the
  // scheduler (and its epoll_wait) per relayed message. The router may call this under a realm
  // lock, so a slow consumer's close, which leaves the router, is posted instead of run here.
  // While the protocol opens, frames are posted as before, so what the router hands the joining
  // peer (frames held for it) follows what its protocol sends on open (PeerJS OPEN).
  void Deliver(core::Frame frame) override {
    if (!opening_ && context_.get_executor().running_in_this_thread()) {
      Enqueue(std::move(frame), /*close_inline=*/false);
      return;
    }
    net::post(context_, [self = this->shared_from_this(), frame = std::move(frame)]() mutable {
      self->Send(std::move(frame));
    });
  }
  void Close(std::uint16_t code, std::string_view reason, core::DisconnectReason why) override {
    net::post(context_, [self = this->shared_from_this(), code, reason = std::string(reason), why] {
      self->StartClose(code, reason, /*flush=*/true, why);
    });
  }

  void Replaced() override {
    net::post(context_, [self = this->shared_from_this()] {
      if (!self->protocol_closed_) self->protocol_->OnReplaced();
    });
  }

  void RelayFailed(core::RelayFailure failure, std::string_view target) override {
    if (context_.get_executor().running_in_this_thread()) {
      if (!protocol_closed_) protocol_->OnRelayFailed(failure, target);
      return;
    }
    net::post(context_, [self = this->shared_from_this(), failure, target = std::string(target)] {
      self->RelayFailed(failure, target);
    });
  }

  core::PeerInfo Info() const override {
    core::PeerInfo info;
    info.remote_address = remote_address_;
    info.connected_at = connected_at_;
    info.frames_in = frames_in_.load(std::memory_order_relaxed);
    info.bytes_in = bytes_in_.load(std::memory_order_relaxed);
    info.frames_out = frames_out_.load(std::memory_order_relaxed);
    info.bytes_out = bytes_out_.load(std::memory_order_relaxed);
    info.queue_depth = queue_depth_.load(std::memory_order_relaxed);
    return info;
  }

  // Connection: this session's executor only.
  std::uint64_t id() const override { return id_; }
  std::string_view remote_address() const override { return remote_address_; }
  void Send(core::Frame frame) override { Enqueue(std::move(frame), /*close_inline=*/true); }
  void Disconnect(core::CloseCode code, std::string_view reason,
                  core::DisconnectReason why) override {
    StartClose(core::ToWire(code), reason, /*flush=*/true, why);
  }
  std::weak_ptr<core::Peer> AsPeer() override { return this->weak_from_this(); }
  core::Peer& peer() override { return *this; }
  void Dispatch(absl::AnyInvocable<void() &&> fn) override {
    net::dispatch(context_, [self = this->shared_from_this(), fn = std::move(fn)]() mutable {
      std::move(fn)();
    });
  }

 private:
  // Queues `frame` and writes what can go now. On overflow the peer is closed as a slow
  // consumer: at once with `close_inline`, else from a posted handler (see Deliver), with every
  // frame until then dropped.
  void Enqueue(core::Frame frame, bool close_inline) {
    if (closing() || overflowed_) return;
    // The queue's bounds count frames the kernel has not taken, not frames held back for the
    // batch (FlushSoon): those go now, before the bound would refuse one.
    if (flush_pending_ && queue_.Full(frame->bytes.size())) Flush();
    switch (queue_.Push(std::move(frame))) {
      case WriteQueue::PushResult::kStartWrite:
        SyncQueueDepth();
        FlushSoon();
        break;
      case WriteQueue::PushResult::kQueued:
        SyncQueueDepth();
        break;
      case WriteQueue::PushResult::kOverflow:
        Overflow(close_inline);
        break;
    }
  }

  // Queues a pong (or the keep-alive ping) ahead of the queued frames. Control frames waiting
  // for the kernel count against the send queue's bounds with the frames behind them: a peer
  // that pings and never reads is a slow consumer like any other.
  void QueueControl(WsOpcode opcode, std::string_view payload) {
    if (closing() || overflowed_) return;
    const std::size_t bytes = control_out_.size() + queue_.bytes() + kMaxWsHeaderBytes + payload.size();
    if (control_frames_ + queue_.size() >= state_.limits.send_queue_max_frames ||
        bytes > state_.limits.send_queue_max_bytes) {
      Overflow(/*close_inline=*/true);
      return;
    }
    AppendWsControl(opcode, payload, control_out_);
    ++control_frames_;
    Flush();
  }

  // Counts a slow consumer and closes it: at once with `close_inline`, else from a posted
  // handler (see Deliver), with every frame until then dropped.
  void Overflow(bool close_inline) {
    state_.stats.CountQueueOverflow();
    core::LogDebug("conn ", id_, ": send queue overflow (", queue_.size() + control_frames_,
                     " frames, ", queue_.bytes() + control_out_.size(),
                     " bytes), closing as a slow consumer");
    overflowed_ = true;
    if (close_inline) {
      CloseSlowConsumer();
    } else {
      net::post(context_, [self = this->shared_from_this()] { self->CloseSlowConsumer(); });
    }
  }

  void CloseSlowConsumer() {
    StartClose(core::ToWire(core::CloseCode::kTryAgainLater), "slow consumer", /*flush=*/false,
               core::DisconnectReason::kSlowConsumer);
  }

  void OnAccept(error_code ec) {
    handshake_.reset();  // Beast's stream state is needed for the handshake only
    if (ec == beast::error::timeout) state_.stats.CountHttpTimeout();
    if (!ec) io_.Start(ec);
    if (ec) {
      // Handshake failed or timed out: never registered anywhere, nothing to undo.
      return;
    }
    // Register before reading the shutdown flag, so Shutdown's CloseAll either sees this
    // session or this check sees the flag.
    state_.connections.Add(id_, this->weak_from_this());
    registered_ = true;
    if (core::LogEnabled(core::LogLevel::kDebug)) {
      core::Log(core::LogLevel::kDebug, "connection opened",
                {{"conn", id_},
                 {"remote", remote_address_},
                 {"protocol", core::kProtocolNames[core::ProtocolIndex(protocol_->kind())]}});
    }
    // Upgrades are refused once not serving; this catches one that raced the phase change.
    if (const auto phase = state_.lifecycle.phase(); phase == core::Lifecycle::Phase::kStopping) {
      StartClose(core::ToWire(core::CloseCode::kGoingAway), "server shutting down", true,
                 core::DisconnectReason::kShutdown);
    } else if (phase == core::Lifecycle::Phase::kDraining) {
      StartClose(core::ToWire(core::CloseCode::kServiceRestart), "server draining", true,
                 core::DisconnectReason::kDrain);
    } else {
      opening_ = true;
      protocol_->OnOpen();
      opening_ = false;
      StartTimers();
    }
    DoRead();
  }

  using SteadyTime = std::chrono::steady_clock::time_point;

  // While open, one timer serves both the protocol's tick and the keep-alive check, each at its
  // own period: a timer and its pending wait are about 200 bytes per peer.
  void StartTimers() {
    const auto now = std::chrono::steady_clock::now();
    const absl::Duration tick = protocol_->tick_interval();
    next_tick_ = tick > absl::ZeroDuration() ? now + ToChrono(tick) : SteadyTime::max();
    next_keep_alive_ = now + ToChrono(state_.limits.ping_interval);
    ScheduleTimer();
  }

  void ScheduleTimer() {
    if (closing()) return;
    deadline_timer_.expires_at(std::min(next_tick_, next_keep_alive_));
    deadline_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (!ec && !self->closing()) self->OnTimer();
    });
  }

  void OnTimer() {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_tick_) {
      next_tick_ = now + ToChrono(protocol_->tick_interval());
      protocol_->OnTick();
    }
    if (!closing() && now >= next_keep_alive_) {
      next_keep_alive_ = now + ToChrono(state_.limits.ping_interval);
      KeepAlive();
    }
    ScheduleTimer();
  }

  // Every ping_interval: a peer heard from since the last check is fine; one silent for a period
  // gets a ping; one silent for two periods is dropped.
  void KeepAlive() {
    silent_periods_ = heard_ ? 0 : silent_periods_ + 1;
    heard_ = false;
    if (silent_periods_ >= 2) {
      core::LogDebug("conn ", id_, ": silent for two ping periods, dropping");
      why_ = core::DisconnectReason::kPingTimeout;
      End();
      return;
    }
    if (silent_periods_ == 1) QueueControl(WsOpcode::kPing, {});
  }

  void DoRead() {
    io_.AsyncRead([self = this->shared_from_this()](error_code ec, char* data, std::size_t size) {
      self->OnRead(ec, data, size);
    });
  }

  void OnRead(error_code ec, char* data, std::size_t size) {
    if (phase_ == Phase::kEnded) return;
    if (ec) {
      if (!IsQuietEnd(ec)) core::LogDebug("conn ", id_, ": read ended: ", ec.message());
      End();
      return;
    }
    heard_ = true;
    if (!input_done_) Parse(data, size);
    ReadOn();
  }

  // After handling input: reads again, unless the peer is waiting for its rate limit (then
  // Resume does) or has nothing more to say.
  void ReadOn() {
    MaybeTeardown();
    if (!paused_ && (Io::kReadsUntilEof || !input_done_)) DoRead();
  }

  // Handles the frames in [data, data + size) after any incomplete frame kept from the last
  // read, and keeps what is left unhandled.
  void Parse(char* data, std::size_t size) {
    if (!partial_.empty()) {
      partial_.append(data, size);
      ParseKept();
      return;
    }
    const std::size_t consumed = ParseFrames(data, size);
    if (!input_done_) partial_.assign(data + consumed, size - consumed);
  }

  // Handles the frames in partial_ and keeps what is left of it.
  void ParseKept() {
    const std::size_t consumed = ParseFrames(partial_.data(), partial_.size());
    if (input_done_) {
      std::string().swap(partial_);
      return;
    }
    partial_.erase(0, consumed);
    // The rest of a large message should not stay with the peer for good.
    if (partial_.empty() && partial_.capacity() > kKeptPartialBytes) std::string().swap(partial_);
  }

  // Handles whole frames from the front of [bytes, bytes + size) until one is incomplete, the
  // input ends, or the rate limit pauses the peer; returns how many bytes were handled.
  std::size_t ParseFrames(char* bytes, std::size_t size) {
    std::size_t consumed = 0;
    while (!input_done_ && !paused_) {
      const WsReader::Event event = reader_.Next(bytes, size, consumed);
      if (event.kind == WsReader::Kind::kNeedMore) break;
      OnEvent(event);
    }
    return consumed;
  }

  static constexpr std::size_t kKeptPartialBytes = 4096;

  // Once closing, only the peer's close frame (or a broken frame) is acted on.
  void OnEvent(const WsReader::Event& event) {
    if (closing() && event.kind != WsReader::Kind::kClose && event.kind != WsReader::Kind::kError) {
      return;
    }
    switch (event.kind) {
      case WsReader::Kind::kText:
        if (Admit(event)) OnText(event.payload);
        break;
      case WsReader::Kind::kBinary:
        StartClose(core::ToWire(core::CloseCode::kUnsupportedData), "binary frames are not supported",
                   /*flush=*/true, core::DisconnectReason::kProtocolError);
        break;
      case WsReader::Kind::kPing:
        if (Admit(event)) QueueControl(WsOpcode::kPong, event.payload);
        break;
      case WsReader::Kind::kPong:
      case WsReader::Kind::kNeedMore:
        break;
      case WsReader::Kind::kClose:
        // A close the peer starts is answered with its own code, and what was queued for it is
        // dropped; one that answers the server's completes the handshake.
        input_done_ = true;
        if (!closing()) peer_close_code_ = event.code;
        StartClose(event.code, {}, /*flush=*/false, core::DisconnectReason::kClientClose);
        break;
      case WsReader::Kind::kError:
        // Replies to the complete messages before the broken frame are due: they go first.
        input_done_ = true;
        core::LogDebug("conn ", id_, ": ", event.payload, ", closing with ", event.code);
        StartClose(event.code, event.payload, /*flush=*/true, core::DisconnectReason::kProtocolError);
        break;
    }
  }

  // Whether a message or ping may be handled now under the peer's rate limit. Over it, the
  // session keeps the event and stops reading until its token comes (TCP then slows the
  // sender); over it for rate_limit_grace, the peer is closed with 1008.
  bool Admit(const WsReader::Event& event) {
    if (!rate_) return true;
    const core::RateLimiter::Decision decision = rate_->Admit(state_.clock.Now());
    switch (decision.verdict) {
      case core::RateLimiter::Verdict::kTake:
        return true;
      case core::RateLimiter::Verdict::kWait:
        Pause(event, decision.wait);
        return false;
      case core::RateLimiter::Verdict::kClose:
        state_.stats.CountRateLimited();
        core::LogDebug("conn ", id_, ": over its rate limit for ",
                         absl::FormatDuration(state_.limits.rate_limit_grace), ", closing");
        StartClose(core::ToWire(core::CloseCode::kPolicy), "rate limit", /*flush=*/true,
                   core::DisconnectReason::kRateLimited);
        return false;
    }
    return false;
  }

  void Pause(const WsReader::Event& event, absl::Duration wait) {
    if (!resuming_) state_.stats.CountRateLimitWait();  // each message that waits, once
    paused_ = true;
    paused_kind_ = event.kind;
    paused_payload_.assign(event.payload);
    if (!resume_timer_) resume_timer_ = std::make_unique<net::steady_timer>(context_.get_executor());
    resume_timer_->expires_after(ToChrono(wait));
    resume_timer_->async_wait([self = this->shared_from_this()](error_code ec) {
      if (!ec) self->Resume();
    });
  }

  // The paused event's token is due: handles it, then what was read after it, then reads on.
  void Resume() {
    if (closing() || !paused_) return;
    paused_ = false;
    heard_ = true;  // a throttled peer is not a silent one
    const std::string payload = std::move(paused_payload_);
    paused_payload_.clear();
    resuming_ = true;
    OnEvent(WsReader::Event{paused_kind_, payload});
    resuming_ = false;
    if (!paused_ && !input_done_ && !partial_.empty()) ParseKept();
    ReadOn();
  }

  void OnText(std::string_view text) {
    Bump(frames_in_, 1);
    Bump(bytes_in_, text.size());
    protocol_->OnText(text);
  }

  // Most frames a write hands the kernel at once, each a header and a payload.
  static constexpr std::size_t kMaxFramesPerWrite = 16;

  // Writes a plain connection's queue once the handlers of the current readiness batch have
  // run, rather than at once: the frames of a batch then leave together. Over loopback every
  // send that finds its reader asleep pays for waking it on the other core (in sock_def_readable,
  // about 1 us in this VM); sends spread across a batch found the load's thread asleep far more
  // often than the floor's back-to-back ones (bench/analysis.md). Over TLS the write is
  // asynchronous anyway.
  void FlushSoon() {
    if constexpr (!Io::kWritesInline) {
      Flush();
    } else {
      if (flush_pending_) return;
      flush_pending_ = true;
      std::vector<std::shared_ptr<WsSession>>& pending = PendingFlushes();
      pending.push_back(this->shared_from_this());
      // Posted behind the handlers already queued, which may add to the batch.
      if (pending.size() == 1) net::post(context_, &WsSession::FlushPending);
    }
  }

  // The sessions of this thread waiting for FlushPending. Each I/O thread runs one io_context,
  // and a session enqueues only on its own thread.
  static std::vector<std::shared_ptr<WsSession>>& PendingFlushes() {
    thread_local std::vector<std::shared_ptr<WsSession>> pending;
    return pending;
  }

  static void FlushPending() {
    thread_local std::vector<std::shared_ptr<WsSession>> batch;
    batch.swap(PendingFlushes());
    for (const std::shared_ptr<WsSession>& session : batch) {
      session->flush_pending_ = false;
      session->Flush();
    }
    batch.clear();
  }

  // Writes pending control frames, then queued frames, then the close frame once it is due.
  // What the kernel takes now is done; the rest is copied and written asynchronously, with
  // nothing else written until that completes.
  void Flush() {
    while (!writing_ && phase_ < Phase::kCloseWritten && !write_failed_) {
      thread_local std::vector<net::const_buffer> buffers;
      thread_local std::array<std::array<char, kMaxWsHeaderBytes>, kMaxFramesPerWrite> headers;
      buffers.clear();
      if (!control_out_.empty()) buffers.push_back(net::buffer(control_out_));
      const std::size_t frames = std::min(queue_.size(), kMaxFramesPerWrite);
      for (std::size_t i = 0; i < frames; ++i) {
        const std::string& payload = queue_[i]->bytes;
        buffers.push_back(
            net::buffer(headers[i].data(), EncodeWsHeader(WsOpcode::kText, payload.size(), headers[i].data())));
        buffers.push_back(net::buffer(payload));
      }
      // Closing, the close frame follows the last queued frame (End stops all writing).
      const bool close_now = phase_ == Phase::kClosing && frames == queue_.size();
      if (close_now) buffers.push_back(net::buffer(close_frame_));
      if (buffers.empty()) return;

      const std::size_t total = net::buffer_size(buffers);
      error_code ec;
      const std::size_t written = Io::kWritesInline ? io_.WriteNow(buffers, ec) : 0;
      if (ec) {
        // Ended from a handler of its own: this may run inside the router, under its locks,
        // which ending takes.
        write_failed_ = true;
        net::post(context_, [self = this->shared_from_this()] { self->End(); });
        return;
      }
      if (written < total) CopyUnwritten(buffers, written);
      for (std::size_t i = 0; i < frames; ++i) {
        Sent(*queue_[0]);
        queue_.PopFront();
      }
      SyncQueueDepth();
      control_out_.clear();
      control_frames_ = 0;
      if (close_now) phase_ = Phase::kCloseWritten;
      if (written < total) {
        writing_ = true;
        io_.AsyncWrite(net::buffer(pending_write_), [self = this->shared_from_this()](error_code write_ec,
                                                                                      std::size_t) {
          self->OnAsyncWrite(write_ec);
        });
        return;
      }
      MaybeTeardown();
    }
  }

  // Leaves in pending_write_ the bytes of `buffers` after the first `skip`.
  void CopyUnwritten(const std::vector<net::const_buffer>& buffers, std::size_t skip) {
    pending_write_.clear();
    for (const net::const_buffer& buffer : buffers) {
      if (skip >= buffer.size()) {
        skip -= buffer.size();
        continue;
      }
      pending_write_.append(static_cast<const char*>(buffer.data()) + skip, buffer.size() - skip);
      skip = 0;
    }
  }

  void OnAsyncWrite(error_code ec) {
    writing_ = false;
    std::string().swap(pending_write_);
    if (ec) {
      End();
      return;
    }
    if (phase_ >= Phase::kCloseWritten) {
      MaybeTeardown();
      return;
    }
    Flush();
  }

  void Sent(const core::EncodedFrame& frame) {
    Bump(frames_out_, 1);
    Bump(bytes_out_, frame.bytes.size());
    state_.stats.CountFrameOut(protocol_->kind(), frame.type, frame.bytes.size());
    if (frame.received_ns != 0) {
      state_.stats.ObserveRelayLatency(core::MonotonicNanos() - frame.received_ns);
    }
  }

  void SyncQueueDepth() { queue_depth_.store(queue_.size(), std::memory_order_relaxed); }

  // Starts closing with `code`. With `flush`, queued frames go out first; without, they are
  // dropped (a slow consumer would never drain them). Either way the close_timeout bounds it.
  // Codes the server chooses are counted; a peer's own close is answered, not counted. `why`
  // is counted once the connection ends (End), for the first close only.
  void StartClose(std::uint16_t code, std::string_view reason, bool flush,
                  core::DisconnectReason why) {
    if (closing()) return;
    phase_ = Phase::kClosing;
    why_ = why;
    close_code_ = code;
    if (peer_close_code_ == 0) state_.stats.CountClose(code);
    AppendWsClose(code, reason, close_frame_);
    if (!flush) {
      queue_.Clear();
      SyncQueueDepth();
    }
    // Stop routing to this peer at once; its departure is announced now, not at socket end.
    NotifyProtocolClosed();
    // Replaces the tick and keep-alive wait, which ends as aborted.
    deadline_timer_.expires_after(ToChrono(state_.limits.close_timeout));
    deadline_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (!ec) self->End();
    });
    Flush();
  }

  // Once the server's close frame is written and no frame is expected any more (the peer's
  // close arrived, or its input broke the protocol), the transport is shut down.
  void MaybeTeardown() {
    if (phase_ != Phase::kCloseWritten || writing_ || !input_done_) return;
    phase_ = Phase::kTearingDown;
    io_.Teardown([self = this->shared_from_this()] { self->End(); });
  }

  void NotifyProtocolClosed() {
    if (protocol_closed_) return;
    protocol_closed_ = true;
    if (protocol_) protocol_->OnClose(core::LeaveNoticeFor(why_));
  }

  // The connection is over: the socket is closed, so every pending operation completes and
  // releases the session.
  void End() {
    if (phase_ == Phase::kEnded) return;
    phase_ = Phase::kEnded;
    NotifyProtocolClosed();
    deadline_timer_.cancel();
    if (resume_timer_) resume_timer_->cancel();
    queue_.Clear();
    SyncQueueDepth();
    error_code ignored;
    io_.socket().close(ignored);
    if (registered_) {
      state_.stats.CountDisconnect(protocol_->kind(), why_);
      state_.connections.Remove(id_);
      if (core::LogEnabled(core::LogLevel::kDebug)) LogClosed();
    }
    registered_ = false;
  }

  // The debug line of a connection that ended: how, after how long, and what it carried.
  void LogClosed() const {
    const char* closed_by = peer_close_code_ != 0 ? "client" : close_code_ != 0 ? "server" : "none";
    core::Log(core::LogLevel::kDebug, "connection closed",
              {{"conn", id_},
               {"remote", remote_address_},
               {"protocol", core::kProtocolNames[core::ProtocolIndex(protocol_->kind())]},
               {"code", close_code_},
               {"reason", core::Name(why_)},
               {"closed_by", closed_by},
               {"duration_ms", absl::ToInt64Milliseconds(state_.clock.Now() - connected_at_)},
               {"frames_in", frames_in_.load(std::memory_order_relaxed)},
               {"frames_out", frames_out_.load(std::memory_order_relaxed)}});
  }

  // The close sequence. A session only moves forward through it, and every transition is made
  // in one place:
  //   kOpen         reading and writing;
  //   kClosing      StartClose: the close frame waits behind what is queued (dropped for a
  //                 slow consumer); input other than the peer's close frame is ignored;
  //   kCloseWritten Flush: the close frame went to the kernel; waiting for the peer's close
  //                 frame (input_done_) and the last write;
  //   kTearingDown  MaybeTeardown: both close frames are through; the transport shuts down
  //                 (a TCP half-close, or TLS close_notify), then End;
  //   kEnded        End: the socket is closed, so every pending operation completes and
  //                 releases the session. Reached from any phase on an error, a write
  //                 failure, two silent ping periods, or the close_timeout that StartClose
  //                 arms.
  enum class Phase { kOpen, kClosing, kCloseWritten, kTearingDown, kEnded };
  bool closing() const { return phase_ != Phase::kOpen; }

  SessionSlot slot_;  // given back when the session is destroyed
  Io io_;
  const std::string remote_address_;
  net::io_context& context_;  // the one io_ runs on (server.cc makes every stream's executor one)
  EdgeContext& state_;
  const std::uint64_t id_;
  const absl::Time connected_at_;
  // Written on this session's executor, read by the admin plane from any thread.
  std::atomic<std::uint64_t> frames_in_{0};
  std::atomic<std::uint64_t> bytes_in_{0};
  std::atomic<std::uint64_t> frames_out_{0};
  std::atomic<std::uint64_t> bytes_out_{0};
  std::atomic<std::size_t> queue_depth_{0};
  std::unique_ptr<Protocol> protocol_;
  std::optional<core::RateLimiter> rate_;  // messages this peer may send; none: no limit
  // While the rate limit holds the peer back: the event waiting for its token, and the timer
  // (made at the first wait: most peers never need one) that resumes it.
  std::unique_ptr<net::steady_timer> resume_timer_;
  std::string paused_payload_;
  WsReader::Kind paused_kind_ = WsReader::Kind::kNeedMore;
  // During the handshake only. Without permessage-deflate, which sigd never negotiates.
  std::optional<websocket::stream<decltype(std::declval<Io&>().stream()), false>> handshake_;
  WsReader reader_;
  std::string partial_;        // an incomplete frame, kept across reads
  WriteQueue queue_;
  std::string control_out_;    // pongs and pings, ahead of the queued frames
  std::size_t control_frames_ = 0;  // in control_out_
  std::string close_frame_;    // written after the queue from Phase::kClosing on
  std::string pending_write_;  // what the kernel did not take at once, being written
  // The tick and the keep-alive check while open (next_tick_, next_keep_alive_), then the
  // close deadline.
  net::steady_timer deadline_timer_;
  SteadyTime next_tick_{};
  SteadyTime next_keep_alive_{};
  std::uint16_t peer_close_code_ = 0;  // the code of the peer's close frame, once it sent one
  // Why the connection ends: set by the first StartClose or by a ping timeout; a socket that
  // ends without either was lost.
  core::DisconnectReason why_ = core::DisconnectReason::kConnectionLost;
  std::uint16_t close_code_ = 0;  // the code of the close frame sent, once one was
  bool writing_ = false;
  bool flush_pending_ = false;  // in this thread's PendingFlushes
  bool opening_ = false;     // inside protocol_->OnOpen()
  bool overflowed_ = false;  // the send queue overflowed; the close may still be on its way
  Phase phase_ = Phase::kOpen;
  bool write_failed_ = false;
  bool input_done_ = false;  // the peer's close frame arrived, or its input broke the protocol
  bool protocol_closed_ = false;
  bool heard_ = false;  // anything read, data or control, since the last keep-alive check
  bool paused_ = false;    // reading stopped until the rate limit's next token
  bool resuming_ = false;  // handling the event that waited
  int silent_periods_ = 0;
  bool registered_ = false;
};

}  // namespace

void StartWsSession(HttpStream stream, http::request<http::string_body> request,
                    EdgeContext& state, SessionSlot slot, std::string remote_address,
                    const ProtocolFactory& make_protocol) {
  // The HTTP phase's deadline goes with its stream; the WebSocket's own timers take over.
  std::make_shared<WsSession<PlainIo>>(stream.release_socket(), state, std::move(slot),
                                       std::move(remote_address))
      ->Run(std::move(request), make_protocol);
}

void StartWsSession(TlsStream stream, http::request<http::string_body> request,
                    EdgeContext& state, SessionSlot slot, std::string remote_address,
                    const ProtocolFactory& make_protocol) {
  // The WebSocket's own timers take over from the HTTP phase's deadline. (Over TLS the stream
  // stays a tcp_stream: OpenSSL's state cannot move to another transport type.)
  beast::get_lowest_layer(stream).expires_never();
  std::make_shared<WsSession<TlsIo>>(std::move(stream), state, std::move(slot),
                                     std::move(remote_address))
      ->Run(std::move(request), make_protocol);
}

}  // namespace sig::edge
