#include "edge/ws_session.h"

#include <atomic>
#include <optional>
#include <chrono>
#include <string>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "absl/time/time.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/token_bucket.h"
#include "edge/write_queue.h"
#include "edge/ws_transport.h"

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

// The WebSocket runs on WsTransport, not on the HTTP phase's beast::tcp_stream: that stream
// wraps every read and write in a timer-checking op behind a type-erased executor, for a
// deadline the WebSocket's own timers replace; sigbench put that wrapper at several percent of
// the server's CPU per relayed message (docs/benchmarks.md).
using Socket = WsTransport::Socket;

// Moves the connection out of the HTTP phase's stream. Every stream runs on one of the
// server's io_contexts (server.cc), so the context query names an io_context.
Socket TakeSocket(beast::tcp_stream& stream) {
  auto& io = static_cast<net::io_context&>(
      net::query(stream.get_executor(), net::execution::context));
  Socket socket(io.get_executor());
  error_code ec;
  const auto protocol = stream.socket().local_endpoint(ec).protocol();
  if (ec) return socket;  // already dead: the handshake fails on a closed socket
  socket.assign(protocol, stream.release_socket().release(), ec);
  return socket;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The TCP socket under a WebSocket's transport, plain or TLS.
Socket& RawSocket(WsTransport& transport) { return transport.next_layer(); }
net::ip::tcp::socket& RawSocket(TlsStream& stream) { return beast::get_lowest_layer(stream).socket(); }

template <class SocketType>
std::string RemoteAddress(const SocketType& socket) {
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "";
  const auto address = endpoint.address();
  return address.is_v6() ? core::StrCat("[", address.to_string(), "]:", endpoint.port())
                         : core::StrCat(address.to_string(), ":", endpoint.port());
}

void Bump(std::atomic<std::uint64_t>& counter, std::uint64_t n) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

// Expected ends of a connection, not worth a log line.
bool IsQuietEnd(const error_code& ec) {
  return ec == websocket::error::closed || ec == net::error::operation_aborted ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == beast::error::timeout || ec == net::error::broken_pipe;
}

// One WebSocket connection: the read loop feeding its Protocol, a bounded write queue with one
// write in flight, and the close path. Everything runs on the socket's executor (one io_context
// thread); Deliver and Close, the only entry points from other threads, post onto it.
//
// Lifetime: owned by the handlers it has in flight (each binds shared_from_this()); the router
// and the connection set hold weak references only.
//
// NextLayer is WsTransport (plain) or TlsStream (wss://).
template <class NextLayer>
class WsSession final : public core::Peer,
                        public Connection,
                        public std::enable_shared_from_this<WsSession<NextLayer>> {
 public:
  WsSession(NextLayer next, SharedState& state)
      : remote_address_(RemoteAddress(RawSocket(next))),
        ws_(std::move(next)),
        io_(static_cast<net::io_context&>(net::query(ws_.get_executor(), net::execution::context))),
        state_(state),
        id_(state.NextConnectionId()),
        connected_at_(state.clock.Now()),
        queue_(state.limits.send_queue_max_frames, state.limits.send_queue_max_bytes),
        close_timer_(ws_.get_executor()),
        tick_timer_(ws_.get_executor()),
        keep_alive_timer_(ws_.get_executor()) {
    if (state_.limits.rate_limit_per_second > 0) {
      rate_.emplace(state_.limits.rate_limit_burst,
                    absl::Seconds(1) / static_cast<std::int64_t>(state_.limits.rate_limit_per_second),
                    state_.clock.Now());
    }
  }
  // The place TryAdmitSession counted for this session.
  ~WsSession() override {
    state_.live_sessions.fetch_sub(1, std::memory_order_relaxed);
  }

  void Run(http::request<http::string_body> request, const ProtocolFactory& make_protocol) {
    protocol_ = make_protocol(*this, state_,
                              std::string_view(request.target().data(), request.target().size()));
    // Beast's timers take over from the HTTP deadline, which stayed with the tcp_stream: the
    // handshake and the close each get http_timeout. Liveness is the session's own keep-alive
    // (KeepAlive below), not Beast's idle timeout, which re-arms a timer on every read: about
    // 4% of the server's CPU per relayed message in sigbench (docs/benchmarks.md).
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = ToChrono(state_.limits.http_timeout);
    timeout.idle_timeout = websocket::stream_base::none();
    timeout.keep_alive_pings = false;
    ws_.set_option(timeout);
    // Control frames (pongs above all) count as signs of life too.
    ws_.control_callback([this](websocket::frame_type, beast::string_view) { heard_ = true; });
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, "sigd");
    }));
    ws_.read_message_max(state_.limits.max_frame_bytes);
    ws_.text(true);
    ws_.async_accept(request, beast::bind_front_handler(&WsSession::OnAccept, this->shared_from_this()));
  }

  // core::Peer: any thread. On this session's own thread the frame is queued at once: a post
  // would cost a handler, two reference-count round trips and an extra pass through the
  // scheduler (and its epoll_wait) per relayed message. The router may call this under a realm
  // lock, so a slow consumer's close, which leaves the router, is posted instead of run here.
  // While the protocol opens, frames are posted as before, so what the router hands the joining
  // peer (frames held for it) follows what its protocol sends on open (PeerJS OPEN).
  void Deliver(core::Frame frame) override {
    if (!opening_ && io_.get_executor().running_in_this_thread()) {
      Enqueue(std::move(frame), /*close_inline=*/false);
      return;
    }
    net::post(ws_.get_executor(), [self = this->shared_from_this(), frame = std::move(frame)]() mutable {
      self->Send(std::move(frame));
    });
  }
  void Close(std::uint16_t code, std::string_view reason) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(), code, reason = std::string(reason)] {
      self->StartClose(code, reason, /*flush=*/true);
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
  void Send(core::Frame frame) override { Enqueue(std::move(frame), /*close_inline=*/true); }
  void Disconnect(core::CloseCode code, std::string_view reason) override {
    StartClose(core::ToWire(code), reason, /*flush=*/true);
  }
  std::weak_ptr<core::Peer> AsPeer() override { return this->weak_from_this(); }

 private:
  // Queues `frame`, starting a write if none is in flight. On overflow the peer is closed as a
  // slow consumer: at once with `close_inline`, else from a posted handler (see Deliver), with
  // every frame until then dropped.
  void Enqueue(core::Frame frame, bool close_inline) {
    if (closing_ || overflowed_) return;
    switch (queue_.Push(std::move(frame))) {
      case WriteQueue::PushResult::kStartWrite:
        SyncQueueDepth();
        DoWrite();
        break;
      case WriteQueue::PushResult::kQueued:
        SyncQueueDepth();
        break;
      case WriteQueue::PushResult::kOverflow:
        state_.stats.CountQueueOverflow();
        core::LogWarning("conn ", id_, ": send queue overflow (", queue_.size(), " frames, ",
                         queue_.bytes(), " bytes), closing as a slow consumer");
        overflowed_ = true;
        if (close_inline) {
          CloseSlowConsumer();
        } else {
          net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->CloseSlowConsumer(); });
        }
        break;
    }
  }

  void CloseSlowConsumer() {
    StartClose(core::ToWire(core::CloseCode::kTryAgainLater), "slow consumer", /*flush=*/false);
  }

  void OnAccept(error_code ec) {
    if (ec == beast::error::timeout) state_.stats.CountHttpTimeout();
    if (ec) {
      // Handshake failed or timed out: never registered anywhere, nothing to undo.
      return;
    }
    // Register before reading the shutdown flag, so Shutdown's CloseAll either sees this
    // session or this check sees the flag.
    state_.connections.Add(id_, this->weak_from_this());
    registered_ = true;
    // Upgrades are refused once not serving; this catches one that raced the phase change.
    if (const auto phase = state_.lifecycle.phase(); phase == core::Lifecycle::Phase::kStopping) {
      StartClose(core::ToWire(core::CloseCode::kGoingAway), "server shutting down", true);
    } else if (phase == core::Lifecycle::Phase::kDraining) {
      StartClose(core::ToWire(core::CloseCode::kServiceRestart), "server draining", true);
    } else {
      opening_ = true;
      protocol_->OnOpen();
      opening_ = false;
      ScheduleTick();
      ScheduleKeepAlive();
    }
    DoRead();
  }

  void ScheduleTick() {
    const absl::Duration interval = protocol_->tick_interval();
    if (closing_ || interval <= absl::ZeroDuration()) return;
    tick_timer_.expires_after(ToChrono(interval));
    tick_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (ec || self->closing_) return;
      self->protocol_->OnTick();
      self->ScheduleTick();
    });
  }

  // Every ping_interval: a peer heard from since the last check is fine; one silent for a period
  // gets a ping; one silent for two periods is dropped, as with Beast's idle timeout.
  void ScheduleKeepAlive() {
    if (closing_) return;
    keep_alive_timer_.expires_after(ToChrono(state_.limits.ping_interval));
    keep_alive_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (!ec && !self->closing_) self->KeepAlive();
    });
  }

  void KeepAlive() {
    silent_periods_ = heard_ ? 0 : silent_periods_ + 1;
    heard_ = false;
    if (silent_periods_ >= 2) {
      core::LogInfo("conn ", id_, ": silent for two ping periods, dropping");
      error_code ignored;
      RawSocket(ws_.next_layer()).close(ignored);  // the pending read ends the session
      return;
    }
    if (silent_periods_ == 1 && !ping_in_flight_) {
      ping_in_flight_ = true;
      ws_.async_ping({}, [self = this->shared_from_this()](error_code) {
        self->ping_in_flight_ = false;
        // Beast allows one ping, pong or close at a time: a close that waited goes now.
        if (self->close_waiting_for_ping_) self->DoClose();
      });
    }
    ScheduleKeepAlive();
  }

  // After a message larger than this (an SDP offer, say) the read buffer is given back, so a
  // peer does not keep its largest message's worth of memory for the rest of its life. Beast
  // sizes the buffer for the next message (1,536 bytes) before any data arrives.
  static constexpr std::size_t kKeptBufferBytes = 2048;

  void DoRead() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::OnRead, this->shared_from_this()));
  }

  void OnRead(error_code ec, std::size_t) {
    if (ec) {
      // Beast closed these itself, with the code RFC 6455 gives them.
      if (ec == websocket::error::message_too_big) {
        state_.stats.CountClose(core::ToWire(core::CloseCode::kTooBig));
      } else if (ec == websocket::error::bad_frame_payload) {
        state_.stats.CountClose(core::ToWire(core::CloseCode::kInvalidPayload));
      }
      if (!IsQuietEnd(ec)) core::LogInfo("conn ", id_, ": read ended: ", ec.message());
      End();
      return;
    }
    heard_ = true;
    // Beast keeps reading after a close starts, until the peer's close frame; those late
    // frames are not acted on.
    if (!closing_) {
      if (rate_ && !rate_->TryTake(state_.clock.Now())) {
        state_.stats.CountRateLimited();
        core::LogWarning("conn ", id_, ": over its rate limit, closing");
        StartClose(core::ToWire(core::CloseCode::kPolicy), "rate limit", /*flush=*/true);
      } else if (!ws_.got_text()) {
        StartClose(core::ToWire(core::CloseCode::kUnsupportedData), "binary frames are not supported",
                   true);
      } else {
        const auto data = buffer_.cdata();
        Bump(frames_in_, 1);
        Bump(bytes_in_, data.size());
        protocol_->OnText(std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
    }
    buffer_.clear();
    if (buffer_.capacity() > kKeptBufferBytes) buffer_.shrink_to_fit();
    DoRead();
  }

  void DoWrite() {
    writing_ = true;
    const core::Frame& frame = queue_.front();
    ws_.async_write(net::buffer(frame->bytes), [self = this->shared_from_this(), frame](error_code ec,
                                                                            std::size_t) {
      if (!ec) self->Sent(*frame);
      self->OnWrite(ec);
    });
  }

  void OnWrite(error_code ec) {
    writing_ = false;
    if (ec) {
      // The read side sees the same failure and ends the session.
      queue_.Clear();
      return;
    }
    const bool more = !queue_.empty() && queue_.PopFront();
    SyncQueueDepth();
    if (more) {
      DoWrite();
    } else if (closing_) {
      DoClose();
    }
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
  void StartClose(std::uint16_t code, std::string_view reason, bool flush) {
    if (closing_) return;
    closing_ = true;
    state_.stats.CountClose(code);
    if (code != core::ToWire(core::CloseCode::kNoStatus)) {
      close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code),
                                             beast::string_view(reason.data(), reason.size()));
    }
    tick_timer_.cancel();
    keep_alive_timer_.cancel();
    if (!flush) {
      queue_.Clear();
      SyncQueueDepth();
    }
    // Stop routing to this peer at once; its departure is announced now, not at socket end.
    NotifyProtocolClosed();
    close_timer_.expires_after(ToChrono(state_.limits.close_timeout));
    close_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      error_code ignored;
      if (!ec) RawSocket(self->ws_.next_layer()).close(ignored);
    });
    if (!writing_) DoClose();
  }

  void DoClose() {
    if (close_sent_) return;
    if (ping_in_flight_) {
      close_waiting_for_ping_ = true;
      return;
    }
    close_sent_ = true;
    ws_.async_close(close_reason_, [self = this->shared_from_this()](error_code) {
      // The pending read completes with the outcome and ends the session.
    });
  }

  void NotifyProtocolClosed() {
    if (protocol_closed_) return;
    protocol_closed_ = true;
    if (protocol_) protocol_->OnClose();
  }

  void End() {
    // Nothing is queued or started after the end: Beast may park a write started now behind
    // the finished close handshake and never complete it, keeping this session alive.
    closing_ = true;
    NotifyProtocolClosed();
    close_timer_.cancel();
    tick_timer_.cancel();
    keep_alive_timer_.cancel();
    queue_.Clear();
    SyncQueueDepth();
    if (registered_) state_.connections.Remove(id_);
    registered_ = false;
  }

  const std::string remote_address_;  // before ws_, which takes the stream
  // Without permessage-deflate, which sigd never negotiates: Beast then compiles out the
  // compression state and its checks on every read and write.
  websocket::stream<NextLayer, /*deflateSupported=*/false> ws_;
  net::io_context& io_;  // the one ws_ runs on (server.cc makes every stream's executor one)
  SharedState& state_;
  const std::uint64_t id_;
  const absl::Time connected_at_;
  // Written on this session's executor, read by the admin plane from any thread.
  std::atomic<std::uint64_t> frames_in_{0};
  std::atomic<std::uint64_t> bytes_in_{0};
  std::atomic<std::uint64_t> frames_out_{0};
  std::atomic<std::uint64_t> bytes_out_{0};
  std::atomic<std::size_t> queue_depth_{0};
  std::unique_ptr<Protocol> protocol_;
  std::optional<core::TokenBucket> rate_;  // messages this peer may still send; none: no limit
  beast::flat_buffer buffer_;
  WriteQueue queue_;
  net::steady_timer close_timer_;
  net::steady_timer tick_timer_;
  net::steady_timer keep_alive_timer_;
  websocket::close_reason close_reason_;
  bool writing_ = false;
  bool opening_ = false;     // inside protocol_->OnOpen()
  bool overflowed_ = false;  // the send queue overflowed; the close may still be on its way
  bool closing_ = false;
  bool close_sent_ = false;
  bool protocol_closed_ = false;
  bool heard_ = false;  // anything read, data or control, since the last keep-alive check
  int silent_periods_ = 0;
  bool ping_in_flight_ = false;
  bool close_waiting_for_ping_ = false;
  bool registered_ = false;
};

}  // namespace

void StartWsSession(beast::tcp_stream stream, http::request<http::string_body> request,
                    SharedState& state, const ProtocolFactory& make_protocol) {
  std::make_shared<WsSession<WsTransport>>(WsTransport(TakeSocket(stream)), state)
      ->Run(std::move(request), make_protocol);
}

void StartWsSession(TlsStream stream, http::request<http::string_body> request,
                    SharedState& state, const ProtocolFactory& make_protocol) {
  // The WebSocket's own timers take over from the HTTP phase's deadline. (Over TLS the stream
  // stays a tcp_stream: OpenSSL's state cannot move to another transport type.)
  beast::get_lowest_layer(stream).expires_never();
  std::make_shared<WsSession<TlsStream>>(std::move(stream), state)
      ->Run(std::move(request), make_protocol);
}

}  // namespace sig::edge
