#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/frame.h"
#include "core/outcome.h"
#include "core/protocol.h"

namespace sig::core {

// Counters of what the server does, for /metrics and the admin GetStats. Every label
// comes from a fixed list here, so what clients send can never grow the number of series: a
// type or reason outside the list is counted as "other". Thread-safe and lock-free (relaxed
// atomics): counters are read as a whole only by a scrape, which needs no consistent cut.
// The counters every relayed message touches are kept in per-thread shards, each on cache lines
// of its own, and summed when read: shared, they bounced between the cores of two I/O threads
// (about 4% of sigd's CPU flat out on two cores in perf, bench/analysis.md).
class Stats {
 public:

  // Label values of the outcome counters, in the outcomes' order (core/outcome.h).
  static constexpr const auto& kRejections = kLoginRejectionNames;
  static constexpr const auto& kBadFrames = kBadFrameNames;
  static constexpr const auto& kRelayFailures = kRelayFailureNames;
  static constexpr const auto& kTokenFailures = kTokenFailureNames;
  static constexpr const auto& kDisconnectReasons = kDisconnectReasonNames;
  // Close codes the server sends; 1005 stands for a close frame without a code.
  static constexpr std::array<std::uint16_t, 16> kCloseCodes = {
      1000, 1001, 1002, 1003, 1005, 1007, 1008, 1009, 1012, 1013, 4000, 4001, 4002, 4003, 4004, 4005};
  // Upper bounds (bytes) of the received message size histogram; +Inf is implied.
  static constexpr std::array<double, 7> kSizeBuckets = {64, 256, 1024, 4096, 16384, 65536, 262144};
  // Upper bounds (seconds) of the relay latency histogram: from reading a frame off the
  // sender's socket to its write completing on the recipient's.
  static constexpr std::array<double, 12> kLatencyBuckets = {
      25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 100e-3, 1.0};
  // Admin RPCs, and gRPC status codes 0..16 (grpc::StatusCode values).
  static constexpr std::array<std::string_view, 10> kAdminMethods = {
      "ListPeers",  "GetPeer",    "DisconnectPeer", "GetStats", "WatchEvents",
      "Drain",      "ListNodes",  "ReloadKeys",     "Undrain",  "ListRooms"};
  static constexpr std::size_t kGrpcCodes = 17;
  static constexpr std::array<std::string_view, kGrpcCodes> kGrpcCodeNames = {
      "OK",        "CANCELLED",         "UNKNOWN",          "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",   "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",      "UNAVAILABLE",      "DATA_LOSS",
      "UNAUTHENTICATED"};

  void CountLogin(Protocol p) { Add(logins_[Index(p)]); }
  void CountRejection(Protocol p, LoginRejection r) { Add(rejections_[Index(p)][OutcomeIndex(r)]); }
  // One frame read from a peer, numbered by its protocol's FrameTypeTable, and its payload size.
  void CountFrameIn(Protocol p, FrameType type, std::size_t bytes);
  // One frame written to a peer.
  void CountFrameOut(Protocol p, FrameType type, std::size_t bytes);
  void ObserveRelayLatency(std::int64_t nanos);
  void CountBadFrame(Protocol p, BadFrame b) { Add(bad_frames_[Index(p)][OutcomeIndex(b)]); }
  void CountRelayFailure(RelayFailure f) { Add(relay_failures_[OutcomeIndex(f)]); }
  void CountAuthFailure(Protocol p, TokenFailure f) { Add(auth_failures_[Index(p)][OutcomeIndex(f)]); }
  void CountClose(std::uint16_t code);
  void CountDisconnect(Protocol p, DisconnectReason r) {
    Add(disconnects_[Index(p)][OutcomeIndex(r)]);
  }
  // TLS handshakes that failed or timed out (plain HTTP on a TLS port, bad clients, scanners).
  void CountTlsHandshakeFailure() { Add(tls_handshake_failures_); }
  // Connections from a trusted proxy whose PROXY protocol header was missing or malformed.
  void CountProxyHeaderFailure() { Add(proxy_header_failures_); }
  void CountQueueOverflow() { Add(queue_overflows_); }
  // HTTP requests refused for their access token (auth on), by endpoint and TokenFailure; index
  // kHttpAuthBlocked: refused unchecked, the client address being over its failure budget.
  enum class HttpAuthEndpoint : std::uint8_t { kTurnCredentials, kPeerList };
  static constexpr std::array<std::string_view, 2> kHttpAuthEndpoints = {"turn_credentials",
                                                                         "peer_list"};
  static constexpr std::size_t kHttpAuthBlocked = 0;  // TokenFailure::kNone, never a failure
  void CountHttpAuthFailure(HttpAuthEndpoint e, TokenFailure f) {
    Add(http_auth_failures_[static_cast<std::size_t>(e)][OutcomeIndex(f)]);
  }
  void CountHttpAuthBlocked(HttpAuthEndpoint e) {
    Add(http_auth_failures_[static_cast<std::size_t>(e)][kHttpAuthBlocked]);
  }
  // TURN credentials handed out: in td's login_success, or by GET /turn-credentials.
  enum class TurnVia : std::uint8_t { kLogin, kHttp };
  static constexpr std::array<std::string_view, 2> kTurnVias = {"login", "http"};
  void CountTurnIssued(TurnVia via) { Add(turn_issued_[static_cast<std::size_t>(via)]); }
  // A peer closed with 1008 for sending faster than its rate limit.
  void CountRateLimited() { Add(rate_limited_); }
  // A message (or ping) that waited, its peer's reading paused, for its rate limit's token.
  void CountRateLimitWait() { Add(rate_limit_waits_); }
  // An HTTP request, or a WebSocket handshake, that did not complete within http_timeout.
  void CountHttpTimeout() { Add(http_timeouts_); }
  // accept() failed (out of descriptors, say): the listener pauses before it tries again.
  void CountAcceptFailure() { Add(accept_failures_); }
  // `method` indexes kAdminMethods; `code` is a grpc::StatusCode.
  void CountAdminCall(std::size_t method, int code);
  // Registered peers: +1 on login or open, -1 when it goes.
  void AddPeers(Protocol p, std::int64_t delta) {
    peers_[Index(p)].fetch_add(delta, std::memory_order_relaxed);
  }

  // The names of protocol `p`'s message types (its FrameTypeTable's), for whoever reports the
  // per-type counters: the core counts by number and knows no protocol's types. Set by the edge
  // from its codecs before it serves.
  void SetFrameTypeNames(Protocol p, std::span<const std::string_view> names) {
    type_names_[Index(p)] = names;
  }
  std::span<const std::string_view> frame_type_names(std::size_t p) const { return type_names_[p]; }

  std::uint64_t logins(std::size_t p) const { return Load(logins_[p]); }
  std::uint64_t rejections(std::size_t p, std::size_t r) const { return Load(rejections_[p][r]); }
  std::uint64_t frames_in(std::size_t p, std::size_t t) const {
    return SumShards([&](const Shard& s) { return Load(s.frames_in[p][t]); });
  }
  std::uint64_t bad_frames(std::size_t p, std::size_t b) const { return Load(bad_frames_[p][b]); }
  std::uint64_t relay_failures(std::size_t r) const { return Load(relay_failures_[r]); }
  std::uint64_t auth_failures(std::size_t p, std::size_t f) const { return Load(auth_failures_[p][f]); }
  std::uint64_t http_auth_failures(std::size_t e, std::size_t f) const {
    return Load(http_auth_failures_[e][f]);
  }
  // Index kCloseCodes.size() counts codes outside the list.
  std::uint64_t closes(std::size_t c) const { return Load(closes_[c]); }
  std::uint64_t disconnects(std::size_t p, std::size_t r) const { return Load(disconnects_[p][r]); }
  std::uint64_t tls_handshake_failures() const { return Load(tls_handshake_failures_); }
  std::uint64_t proxy_header_failures() const { return Load(proxy_header_failures_); }
  std::uint64_t queue_overflows() const { return Load(queue_overflows_); }
  std::uint64_t turn_issued(std::size_t via) const { return Load(turn_issued_[via]); }
  std::uint64_t rate_limited() const { return Load(rate_limited_); }
  std::uint64_t rate_limit_waits() const { return Load(rate_limit_waits_); }
  std::uint64_t http_timeouts() const { return Load(http_timeouts_); }
  std::uint64_t accept_failures() const { return Load(accept_failures_); }
  std::uint64_t frames_out(std::size_t p, std::size_t t) const {
    return SumShards([&](const Shard& s) { return Load(s.frames_out[p][t]); });
  }
  std::uint64_t admin_calls(std::size_t m, std::size_t code) const {
    return Load(admin_calls_[m][code]);
  }
  // Non-cumulative count in latency bucket b (b == kLatencyBuckets.size() is +Inf), and the sum.
  std::uint64_t latency_bucket(std::size_t b) const {
    return SumShards([&](const Shard& s) { return Load(s.latency_buckets[b]); });
  }
  double latency_sum_seconds() const {
    return static_cast<double>(SumShards([](const Shard& s) { return Load(s.latency_sum_ns); })) *
           1e-9;
  }
  std::uint64_t bytes_in() const {
    return SumShards([](const Shard& s) { return Load(s.bytes_in); });
  }
  std::uint64_t bytes_out() const {
    return SumShards([](const Shard& s) { return Load(s.bytes_out); });
  }
  std::int64_t peers(std::size_t p) const { return peers_[p].load(std::memory_order_relaxed); }
  // Non-cumulative count in bucket b (b == kSizeBuckets.size() is the +Inf bucket).
  std::uint64_t size_bucket(std::size_t b) const {
    return SumShards([&](const Shard& s) { return Load(s.size_buckets[b]); });
  }

 private:
  using Counter = std::atomic<std::uint64_t>;
  static std::size_t Index(Protocol p) { return ProtocolIndex(p); }
  static void Add(Counter& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
  static std::uint64_t Load(const Counter& c) { return c.load(std::memory_order_relaxed); }

  // More shards than sigd runs I/O threads on any machine it is sized for; threads beyond that
  // share, which stays correct.
  static constexpr std::size_t kShards = 16;
  struct alignas(64) Shard {
    std::array<std::array<Counter, kMaxFrameTypes>, kProtocols.size()> frames_in{};
    std::array<std::array<Counter, kMaxFrameTypes>, kProtocols.size()> frames_out{};
    std::array<Counter, kSizeBuckets.size() + 1> size_buckets{};
    std::array<Counter, kLatencyBuckets.size() + 1> latency_buckets{};
    Counter latency_sum_ns{0};
    Counter bytes_in{0};
    Counter bytes_out{0};
  };
  // The calling thread's shard: threads take shards in turn, the first time they count.
  Shard& ThreadShard();
  template <class Fn>
  std::uint64_t SumShards(Fn fn) const {
    std::uint64_t sum = 0;
    for (const Shard& shard : shards_) sum += fn(shard);
    return sum;
  }

  std::array<std::span<const std::string_view>, kProtocols.size()> type_names_{};
  std::array<Counter, kProtocols.size()> logins_{};
  std::array<std::array<Counter, kRejections.size()>, kProtocols.size()> rejections_{};
  std::array<std::array<Counter, kGrpcCodes>, kAdminMethods.size()> admin_calls_{};
  std::array<std::array<Counter, kBadFrames.size()>, kProtocols.size()> bad_frames_{};
  std::array<Counter, kRelayFailures.size()> relay_failures_{};
  std::array<std::array<Counter, kTokenFailures.size()>, kProtocols.size()> auth_failures_{};
  std::array<std::array<Counter, kTokenFailures.size()>, kHttpAuthEndpoints.size()>
      http_auth_failures_{};
  std::array<Counter, kCloseCodes.size() + 1> closes_{};
  std::array<std::atomic<std::int64_t>, kProtocols.size()> peers_{};
  Counter queue_overflows_{0};
  std::array<std::array<Counter, kDisconnectReasons.size()>, kProtocols.size()> disconnects_{};
  Counter tls_handshake_failures_{0};
  Counter proxy_header_failures_{0};
  std::array<Counter, kTurnVias.size()> turn_issued_{};
  Counter rate_limited_{0};
  Counter rate_limit_waits_{0};
  Counter http_timeouts_{0};
  Counter accept_failures_{0};
  std::array<Shard, kShards> shards_{};
};

}  // namespace sig::core
