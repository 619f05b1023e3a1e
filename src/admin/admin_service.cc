#include "admin/admin_service.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <google/protobuf/util/time_util.h>

#include "admin/page_token.h"
#include "core/close_code.h"
#include "core/protocol.h"

namespace sig::admin {
namespace {

using google::protobuf::util::TimeUtil;

constexpr std::int32_t kDefaultPageSize = 100;
constexpr std::int32_t kMaxPageSize = 1000;
// A close frame's payload is 125 bytes: two for the code, the rest for the reason.
constexpr std::size_t kMaxCloseReasonBytes = 123;

grpc::Status Invalid(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

grpc::Status ToGrpc(const absl::Status& status) {
  // absl::StatusCode mirrors grpc::StatusCode value for value.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// A realm is "td/<room>" or "peerjs/<key>"; anything else cannot name a peer.
bool IsRealm(std::string_view realm) {
  return core::ProtocolOfRealm(realm).has_value();
}

absl::StatusOr<core::PeerFilter> FromProto(const v1::PeerFilter& in) {
  core::PeerFilter filter;
  if (in.protocol() != sig::v1::PROTOCOL_UNSPECIFIED) {
    if (std::find(core::kProtocols.begin(), core::kProtocols.end(), in.protocol()) ==
        core::kProtocols.end()) {
      return absl::InvalidArgumentError("filter.protocol is not a known protocol");
    }
    filter.protocol = in.protocol();
  }
  if (!in.realm().empty() && !IsRealm(in.realm())) {
    return absl::InvalidArgumentError("filter.realm must be td/<room> or peerjs/<key>");
  }
  filter.realm = in.realm();
  filter.name_prefix = in.name_prefix();
  return filter;
}

void Fill(const core::PeerRecord& record, v1::Peer* out) {
  const core::PeerInfo info = record.peer->Info();
  out->set_protocol(record.protocol);
  out->set_realm(record.realm);
  out->set_name(record.name);
  out->set_connection_id(record.conn_id);
  out->set_remote_address(info.remote_address);
  *out->mutable_connected_at() = ToProto(info.connected_at);
  out->set_frames_received(info.frames_in);
  out->set_bytes_received(info.bytes_in);
  out->set_frames_sent(info.frames_out);
  out->set_bytes_sent(info.bytes_out);
  out->set_send_queue_depth(static_cast<std::uint32_t>(
      std::min<std::size_t>(info.queue_depth, std::numeric_limits<std::uint32_t>::max())));
}

// Finds the peer named by realm and name into `*out`. INVALID_ARGUMENT for an address that
// cannot name a peer, NOT_FOUND for nobody there.
grpc::Status FindPeer(const core::Directory& directory, const std::string& realm,
                      const std::string& name, core::PeerRecord* out) {
  if (realm.empty() || name.empty()) return Invalid("realm and name are required");
  if (!IsRealm(realm)) return Invalid("realm must be td/<room> or peerjs/<key>");
  auto record = directory.Find(realm, name);
  if (!record) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no peer " + name + " in " + realm);
  }
  *out = *std::move(record);
  return grpc::Status::OK;
}

// Constant-time in the length of `expected`, so response timing does not reveal the token.
bool SameSecret(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const char g = i < given.size() ? given[i] : '\0';
    diff |= static_cast<unsigned char>(g ^ expected[i]);
  }
  return diff == 0;
}

template <std::size_t N, typename Get>
void FillMap(const std::array<std::string_view, N>& names, Get get,
             google::protobuf::Map<std::string, std::uint64_t>* out) {
  for (std::size_t i = 0; i < N; ++i) (*out)[std::string(names[i])] = get(i);
}

v1::PeerEvent ToProto(const core::PeerEvent& event, std::uint64_t dropped_before) {
  v1::PeerEvent out;
  switch (event.kind) {
    case core::PeerEvent::Kind::kJoined:
      out.set_kind(v1::PeerEvent::KIND_JOINED);
      break;
    case core::PeerEvent::Kind::kLeft:
      out.set_kind(v1::PeerEvent::KIND_LEFT);
      break;
    case core::PeerEvent::Kind::kKicked:
      out.set_kind(v1::PeerEvent::KIND_KICKED);
      break;
  }
  out.set_protocol(event.protocol);
  out.set_realm(event.realm);
  out.set_name(event.name);
  out.set_connection_id(event.conn_id);
  *out.mutable_time() = ToProto(event.at);
  out.set_close_code(event.close_code);
  out.set_reason(event.reason);
  out.set_dropped_before(dropped_before);
  return out;
}

}  // namespace

enum class AdminService::Method : std::size_t {
  kListPeers,
  kGetPeer,
  kDisconnectPeer,
  kGetStats,
  kWatchEvents,
  kDrain,
};

AdminService::AdminService(core::Node& node, Options options)
    : core_(node), options_(std::move(options)) {}

grpc::Status AdminService::Authorize(const grpc::ServerContextBase& context) const {
  if (options_.token.empty()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing authorization: Bearer <token> metadata");
  }
  const std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kScheme = "Bearer ";
  if (!value.starts_with(kScheme) || !SameSecret(value.substr(kScheme.size()), options_.token)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid admin token");
  }
  return grpc::Status::OK;
}

void AdminService::CountCall(Method method, grpc::StatusCode code) {
  core_.stats.CountAdminCall(static_cast<std::size_t>(method), code);
}

template <typename Handler>
grpc::Status AdminService::Call(Method method, const grpc::ServerContextBase& context,
                                Handler&& handler) {
  grpc::Status status = Authorize(context);
  if (status.ok()) status = handler();
  CountCall(method, status.error_code());
  return status;
}

grpc::Status AdminService::ListPeers(grpc::ServerContext* context,
                                     const v1::ListPeersRequest* request,
                                     v1::ListPeersResponse* response) {
  return Call(Method::kListPeers, *context, [&]() -> grpc::Status {
    if (request->page_size() < 0) return Invalid("page_size must not be negative");
    const std::size_t page_size = static_cast<std::size_t>(
        request->page_size() == 0 ? kDefaultPageSize
                                  : std::min(request->page_size(), kMaxPageSize));
    auto filter = FromProto(request->filter());
    if (!filter.ok()) return ToGrpc(filter.status());
    std::uint64_t after = 0;
    if (!request->page_token().empty()) {
      auto decoded = DecodePageToken(request->page_token(), *filter);
      if (!decoded.ok()) return ToGrpc(decoded.status());
      after = *decoded;
    }
    // One extra tells whether another page follows.
    auto records = core_.directory->List(*filter, after, page_size + 1);
    const bool more = records.size() > page_size;
    if (more) records.resize(page_size);
    for (const auto& record : records) Fill(record, response->add_peers());
    if (more) response->set_next_page_token(EncodePageToken(records.back().conn_id, *filter));
    return grpc::Status::OK;
  });
}

grpc::Status AdminService::GetPeer(grpc::ServerContext* context, const v1::GetPeerRequest* request,
                                   v1::Peer* response) {
  return Call(Method::kGetPeer, *context, [&]() -> grpc::Status {
    core::PeerRecord record;
    if (grpc::Status s = FindPeer(*core_.directory, request->realm(), request->name(), &record);
        !s.ok()) {
      return s;
    }
    Fill(record, response);
    return grpc::Status::OK;
  });
}

grpc::Status AdminService::DisconnectPeer(grpc::ServerContext* context,
                                          const v1::DisconnectPeerRequest* request,
                                          v1::DisconnectPeerResponse* response) {
  return Call(Method::kDisconnectPeer, *context, [&]() -> grpc::Status {
    const std::uint32_t code =
        request->code() == 0 ? core::ToWire(core::CloseCode::kKicked) : request->code();
    // What a browser's WebSocket accepts from close(): the rest are reserved or protocol errors.
    if (code != 1000 && (code < 3000 || code > 4999)) {
      return Invalid("code must be 1000 or within 3000-4999");
    }
    if (request->reason().size() > kMaxCloseReasonBytes) {
      return Invalid("reason must be at most 123 bytes");
    }
    core::PeerRecord record;
    if (grpc::Status s = FindPeer(*core_.directory, request->realm(), request->name(), &record);
        !s.ok()) {
      return s;
    }
    Fill(record, response->mutable_peer());
    response->set_code(code);
    core::PeerEvent kicked;
    kicked.kind = core::PeerEvent::Kind::kKicked;
    kicked.protocol = record.protocol;
    kicked.realm = record.realm;
    kicked.name = record.name;
    kicked.conn_id = record.conn_id;
    kicked.at = core_.clock.Now();
    kicked.close_code = static_cast<std::uint16_t>(code);
    kicked.reason = request->reason();
    core_.events.Publish(kicked);
    record.peer->Close(static_cast<std::uint16_t>(code), request->reason());
    return grpc::Status::OK;
  });
}

grpc::Status AdminService::GetStats(grpc::ServerContext* context, const v1::GetStatsRequest*,
                                    v1::Stats* response) {
  return Call(Method::kGetStats, *context, [&]() -> grpc::Status {
    const core::Stats& s = core_.stats;
    using P = core::Stats;
    const auto sum = [&](auto get) {
      std::uint64_t total = 0;
      for (std::size_t p = 0; p < core::kProtocols.size(); ++p) total += get(p);
      return total;
    };
    response->set_version(options_.version);
    *response->mutable_uptime() = TimeUtil::NanosecondsToDuration(
        absl::ToInt64Nanoseconds(core_.clock.Now() - core_.started_at));
    switch (core_.lifecycle.phase()) {
      case core::Lifecycle::Phase::kServing:
        response->set_phase(v1::SERVING_PHASE_SERVING);
        break;
      case core::Lifecycle::Phase::kDraining:
        response->set_phase(v1::SERVING_PHASE_DRAINING);
        break;
      case core::Lifecycle::Phase::kStopping:
        response->set_phase(v1::SERVING_PHASE_STOPPING);
        break;
    }
    response->set_connections(core_.connections.size());
    FillMap(core::kProtocolNames,
            [&](std::size_t p) { return static_cast<std::uint64_t>(std::max<std::int64_t>(0, s.peers(p))); },
            response->mutable_peers_by_protocol());
    FillMap(core::kProtocolNames, [&](std::size_t p) { return s.logins(p); },
            response->mutable_logins_by_protocol());
    // Each protocol numbers its own types; a name two protocols share ("offer") sums.
    auto& received = *response->mutable_frames_received_by_type();
    auto& sent = *response->mutable_frames_sent_by_type();
    for (std::size_t p = 0; p < core::kProtocols.size(); ++p) {
      const std::span<const std::string_view> names = s.frame_type_names(p);
      for (std::size_t t = 0; t < names.size(); ++t) {
        received[std::string(names[t])] += s.frames_in(p, t);
        sent[std::string(names[t])] += s.frames_out(p, t);
      }
    }
    FillMap(P::kRejections,
            [&](std::size_t r) { return sum([&](std::size_t p) { return s.rejections(p, r); }); },
            response->mutable_login_rejections_by_reason());
    FillMap(P::kBadFrames,
            [&](std::size_t b) { return sum([&](std::size_t p) { return s.bad_frames(p, b); }); },
            response->mutable_bad_frames_by_reason());
    FillMap(P::kRelayFailures, [&](std::size_t r) { return s.relay_failures(r); },
            response->mutable_relay_failures_by_reason());
    auto& closes = *response->mutable_closes_by_code();
    for (std::size_t c = 0; c < P::kCloseCodes.size(); ++c) {
      closes[std::to_string(P::kCloseCodes[c])] = s.closes(c);
    }
    closes["other"] = s.closes(P::kCloseCodes.size());
    response->set_bytes_received(s.bytes_in());
    response->set_bytes_sent(s.bytes_out());
    response->set_send_queue_overflows(s.queue_overflows());
    response->set_held_frames(core_.holds.held_frames());
    response->set_watch_events_dropped(core_.events.dropped_total());
    return grpc::Status::OK;
  });
}

namespace {

// One WatchEvents stream on gRPC's callback API. Nothing waits for events: the subscription's
// listener (on the publishing thread) and each completed write pump the queue, with at most
// one write in flight. The reactor owns itself: OnDone, gRPC's last call, unsubscribes, counts
// the call and deletes it. State is behind mu_ (core::Mutex, which TSan sees); gRPC is called
// outside it, in case a reaction runs inline.
class WatchReactor final : public grpc::ServerWriteReactor<v1::PeerEvent> {
 public:
  using OnFinished = std::function<void(grpc::StatusCode)>;

  // Refused before it starts: finishes with `status`.
  WatchReactor(grpc::Status status, OnFinished on_finished)
      : on_finished_(std::move(on_finished)) {
    Conclude(std::move(status));
  }
  WatchReactor(core::EventHub& hub, std::shared_ptr<core::EventSubscription> subscription,
               OnFinished on_finished)
      : hub_(&hub), subscription_(std::move(subscription)), on_finished_(std::move(on_finished)) {
    // Headers now: a client that waits for them knows every later event reaches it.
    StartSendInitialMetadata();
    subscription_->SetListener([this] { Pump(); });
  }

  void OnWriteDone(bool ok) override {
    {
      core::MutexLock lock(&mu_);
      writing_ = false;
    }
    if (!ok) {
      Conclude(grpc::Status::CANCELLED);
      return;
    }
    Pump();
  }
  void OnCancel() override { Conclude(grpc::Status::CANCELLED); }
  void OnDone() override {
    if (subscription_ != nullptr) {
      subscription_->SetListener(nullptr);  // waits out a call in progress
      hub_->Unsubscribe(subscription_);
    }
    grpc::StatusCode code;
    {
      core::MutexLock lock(&mu_);
      code = code_;
    }
    on_finished_(code);
    delete this;
  }

 private:
  // Writes the next queued event unless a write is in flight; finishes once the hub closed.
  void Pump() {
    core::PeerEvent event;
    std::uint64_t dropped = 0;
    core::EventSubscription::Take take;
    {
      core::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      take = subscription_->TryNext(&event, &dropped);
      if (take == core::EventSubscription::Take::kEvent) {
        writing_ = true;
        out_ = ToProto(event, dropped);
      }
    }
    switch (take) {
      case core::EventSubscription::Take::kEmpty:
        return;
      case core::EventSubscription::Take::kEvent:
        StartWrite(&out_);
        return;
      case core::EventSubscription::Take::kClosed:
        Conclude(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping"));
        return;
    }
  }

  // Finishes the call once, with `status`.
  void Conclude(grpc::Status status) {
    {
      core::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
      code_ = status.error_code();
    }
    Finish(std::move(status));
  }

  core::EventHub* hub_ = nullptr;
  std::shared_ptr<core::EventSubscription> subscription_;
  OnFinished on_finished_;
  core::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::StatusCode code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::OK;  // set once, by Conclude
  v1::PeerEvent out_;  // the event being written; touched only while writing_
};

}  // namespace

grpc::ServerWriteReactor<v1::PeerEvent>* AdminService::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  auto count = [this](grpc::StatusCode code) { CountCall(Method::kWatchEvents, code); };
  if (grpc::Status status = Authorize(*context); !status.ok()) {
    return new WatchReactor(std::move(status), count);
  }
  auto filter = FromProto(request->filter());
  if (!filter.ok()) return new WatchReactor(ToGrpc(filter.status()), count);
  return new WatchReactor(core_.events,
                          core_.events.Subscribe(*std::move(filter), options_.watch_queue), count);
}

grpc::Status AdminService::Drain(grpc::ServerContext* context, const v1::DrainRequest* request,
                                 v1::DrainResponse* response) {
  return Call(Method::kDrain, *context, [&]() -> grpc::Status {
    if (request->grace().seconds() < 0 || request->grace().nanos() < 0) {
      return Invalid("grace must not be negative");
    }
    const absl::Duration grace = request->has_grace()
                                     ? absl::Seconds(request->grace().seconds()) +
                                           absl::Nanoseconds(request->grace().nanos())
                                     : options_.default_drain_grace;
    response->set_connections(core_.connections.size());
    if (absl::Status s = core_.lifecycle.Drain(grace); !s.ok()) return ToGrpc(s);
    *response->mutable_close_at() = ToProto(core_.clock.Now() + grace);
    return grpc::Status::OK;
  });
}

}  // namespace sig::admin
