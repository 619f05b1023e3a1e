#include "admin/admin_service.h"

#include <algorithm>
#include <map>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <future>

#include <google/protobuf/util/time_util.h>

#include "absl/strings/numbers.h"

#include "admin/page_token.h"
#include "core/log.h"
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

// A listing's page size: 0 means the default, and it is capped.
template <typename Request>
std::size_t PageSize(const Request& request) {
  return static_cast<std::size_t>(request.page_size() <= 0
                                      ? kDefaultPageSize
                                      : std::min(request.page_size(), kMaxPageSize));
}

// INVALID_ARGUMENT for an address that cannot name a peer.
grpc::Status CheckPeerAddress(const std::string& realm, const std::string& name) {
  if (realm.empty() || name.empty()) return Invalid("realm and name are required");
  if (!IsRealm(realm)) return Invalid("realm must be td/<room> or peerjs/<key>");
  return grpc::Status::OK;
}

// A survey answer: "<grpc code>\t<message>\t" and the serialized response.
std::string EncodeAnswer(const grpc::Status& status, const google::protobuf::Message* response) {
  std::string out = std::to_string(static_cast<int>(status.error_code())) + "\t" +
                    status.error_message() + "\t";
  if (status.ok() && response != nullptr) response->AppendToString(&out);
  return out;
}

bool DecodeAnswer(std::string_view answer, grpc::Status* status, std::string* payload) {
  const std::size_t tab1 = answer.find('\t');
  const std::size_t tab2 = tab1 == std::string_view::npos ? tab1 : answer.find('\t', tab1 + 1);
  int code = 0;
  if (tab2 == std::string_view::npos ||
      !absl::SimpleAtoi(absl::string_view(answer.data(), tab1), &code) || code < 0 || code > 16) {
    return false;
  }
  *status = grpc::Status(static_cast<grpc::StatusCode>(code),
                         std::string(answer.substr(tab1 + 1, tab2 - tab1 - 1)));
  *payload = std::string(answer.substr(tab2 + 1));
  return true;
}

v1::ServingPhase Phase(core::Lifecycle::Phase phase) {
  switch (phase) {
    case core::Lifecycle::Phase::kServing:
      return v1::SERVING_PHASE_SERVING;
    case core::Lifecycle::Phase::kDraining:
      return v1::SERVING_PHASE_DRAINING;
    case core::Lifecycle::Phase::kStopping:
      return v1::SERVING_PHASE_STOPPING;
  }
  return v1::SERVING_PHASE_UNSPECIFIED;
}

// Finds the peer named by realm and name into `*out`. INVALID_ARGUMENT for an address that
// cannot name a peer, NOT_FOUND for nobody there.
grpc::Status FindPeer(const core::Directory& directory, const std::string& realm,
                      const std::string& name, core::PeerRecord* out) {
  if (grpc::Status s = CheckPeerAddress(realm, name); !s.ok()) return s;
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

// Adds one node's counters and counts to a cluster's sums (not its version, uptime or phase).
void AddStats(const v1::Stats& from, v1::Stats* into) {
  using Counts = google::protobuf::Map<std::string, std::uint64_t>;
  const auto add = [](const Counts& part, Counts* sum) {
    for (const auto& [key, value] : part) (*sum)[key] += value;
  };
  into->set_connections(into->connections() + from.connections());
  add(from.peers_by_protocol(), into->mutable_peers_by_protocol());
  add(from.logins_by_protocol(), into->mutable_logins_by_protocol());
  add(from.frames_received_by_type(), into->mutable_frames_received_by_type());
  add(from.frames_sent_by_type(), into->mutable_frames_sent_by_type());
  add(from.login_rejections_by_reason(), into->mutable_login_rejections_by_reason());
  add(from.bad_frames_by_reason(), into->mutable_bad_frames_by_reason());
  add(from.relay_failures_by_reason(), into->mutable_relay_failures_by_reason());
  add(from.closes_by_code(), into->mutable_closes_by_code());
  into->set_bytes_received(into->bytes_received() + from.bytes_received());
  into->set_bytes_sent(into->bytes_sent() + from.bytes_sent());
  into->set_send_queue_overflows(into->send_queue_overflows() + from.send_queue_overflows());
  into->set_held_frames(into->held_frames() + from.held_frames());
  into->set_watch_events_dropped(into->watch_events_dropped() + from.watch_events_dropped());
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
  out.set_node(event.node);
  return out;
}

// An event another node forwarded, as this node's hub carries it; false if it makes no sense.
bool FromProto(const v1::PeerEvent& in, core::NodeId node, core::PeerEvent* out) {
  switch (in.kind()) {
    case v1::PeerEvent::KIND_JOINED:
      out->kind = core::PeerEvent::Kind::kJoined;
      break;
    case v1::PeerEvent::KIND_LEFT:
      out->kind = core::PeerEvent::Kind::kLeft;
      break;
    case v1::PeerEvent::KIND_KICKED:
      out->kind = core::PeerEvent::Kind::kKicked;
      break;
    default:
      return false;
  }
  out->protocol = in.protocol();
  out->realm = in.realm();
  out->name = in.name();
  out->conn_id = in.connection_id();
  out->at = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(in.time()));
  out->close_code = static_cast<std::uint16_t>(in.close_code());
  out->reason = in.reason();
  out->node = node;
  return true;
}

}  // namespace

enum class AdminService::Method : std::size_t {
  kListPeers,
  kGetPeer,
  kDisconnectPeer,
  kGetStats,
  kWatchEvents,
  kDrain,
  kListNodes,
  kReloadKeys,
  kUndrain,
  kListRooms,
};

AdminService::AdminService(core::Node& node, Options options)
    : core_(node), options_(std::move(options)) {
  if (core_.bus->state() == core::Bus::State::kDisabled) return;
  // A cluster node's own events go to the nodes that watch the cluster (Bus::Watched). The
  // listener runs on the publishing thread and only hands serialized events to the bus.
  core::PeerFilter own;
  own.this_node_only = true;
  forwarder_ = core_.events.Subscribe(own, options_.watch_queue);
  if (forwarder_ != nullptr) forwarder_->SetListener([this] { ForwardEvents(); });
}

AdminService::~AdminService() {
  if (forwarder_ == nullptr) return;
  forwarder_->SetListener(nullptr);
  core_.events.Unsubscribe(forwarder_);
}

void AdminService::ForwardEvents() {
  core::PeerEvent event;
  std::uint64_t dropped = 0;
  while (forwarder_->TryNext(&event, &dropped) == core::EventSubscription::Take::kEvent) {
    if (!core_.bus->Watched()) continue;
    v1::PeerEvent out = ToProto(event, 0);
    out.set_node(core_.bus->node());
    core_.bus->PublishEvent(out.SerializeAsString());
  }
}

void AdminService::OnRemoteEvent(core::NodeId node, std::string_view event) {
  v1::PeerEvent in;
  core::PeerEvent out;
  if (!in.ParseFromArray(event.data(), static_cast<int>(event.size())) ||
      !FromProto(in, node, &out)) {
    return;
  }
  core_.events.Publish(out);
}

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

void AdminService::CountCall(Method method, grpc::StatusCode code, std::string_view caller) {
  const auto m = static_cast<std::size_t>(method);
  core_.stats.CountAdminCall(m, code);
  // The audit trail: every call, whoever made it and however it ended (never its token).
  const auto c = static_cast<std::size_t>(code);
  core::Log(core::LogLevel::kInfo, "admin call",
            {{"method", core::Stats::kAdminMethods[m]},
             {"caller", caller},
             {"outcome", c < core::Stats::kGrpcCodes ? core::Stats::kGrpcCodeNames[c] : "UNKNOWN"}});
}

template <typename Handler>
grpc::Status AdminService::Call(Method method, const grpc::ServerContextBase& context,
                                Handler&& handler) {
  grpc::Status status = Authorize(context);
  if (status.ok()) status = handler();
  CountCall(method, status.error_code(), context.peer());
  return status;
}

grpc::Status AdminService::ListPeers(grpc::ServerContext* context,
                                     const v1::ListPeersRequest* request,
                                     v1::ListPeersResponse* response) {
  return Call(Method::kListPeers, *context, [&]() -> grpc::Status {
    if (request->page_size() < 0) return Invalid("page_size must not be negative");
    const std::size_t page_size = PageSize(*request);
    auto filter = FromProto(request->filter());
    if (!filter.ok()) return ToGrpc(filter.status());
    if (!request->page_token().empty()) {
      if (auto decoded = DecodePageToken(request->page_token(), *filter); !decoded.ok()) {
        return ToGrpc(decoded.status());
      }
    }
    Answers answers;
    if (grpc::Status s = Ask(*context, request->scope(), "peers", *request, &answers); !s.ok()) {
      return s;
    }
    // Each node sent up to one more than a page after the position; merged in (node, conn_id)
    // order, one more than a page tells that another follows.
    std::vector<v1::Peer> peers;
    for (const NodeAnswer& answer : answers.answers) {
      if (!answer.status.ok()) return answer.status;
      v1::ListPeersResponse part;
      if (!part.ParseFromString(answer.payload)) return grpc::Status(grpc::StatusCode::INTERNAL, "bad answer");
      for (v1::Peer& peer : *part.mutable_peers()) peers.push_back(std::move(peer));
    }
    std::sort(peers.begin(), peers.end(), [](const v1::Peer& a, const v1::Peer& b) {
      return std::pair(a.node(), a.connection_id()) < std::pair(b.node(), b.connection_id());
    });
    const bool more = peers.size() > page_size;
    if (more) peers.resize(page_size);
    for (v1::Peer& peer : peers) *response->add_peers() = std::move(peer);
    if (more) {
      const v1::Peer& last = response->peers(response->peers_size() - 1);
      response->set_next_page_token(EncodePageToken({last.node(), last.connection_id()}, *filter));
    }
    for (core::NodeId node : answers.missing) response->add_incomplete_nodes(node);
    return grpc::Status::OK;
  });
}

grpc::Status AdminService::LocalPeers(const v1::ListPeersRequest& request,
                                      v1::ListPeersResponse* response) {
  auto filter = FromProto(request.filter());
  if (!filter.ok()) return ToGrpc(filter.status());
  PagePosition after;
  if (!request.page_token().empty()) {
    auto decoded = DecodePageToken(request.page_token(), *filter);
    if (!decoded.ok()) return ToGrpc(decoded.status());
    after = *decoded;
  }
  const core::NodeId self = core_.bus->node();
  if (after.node > self) return grpc::Status::OK;  // the walk is past this node
  const std::uint64_t after_conn = after.node == self ? after.conn_id : 0;
  for (const auto& record : core_.directory->List(*filter, after_conn, PageSize(request) + 1)) {
    v1::Peer* peer = response->add_peers();
    Fill(record, peer);
    peer->set_node(self);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::GetPeer(grpc::ServerContext* context, const v1::GetPeerRequest* request,
                                   v1::Peer* response) {
  return Call(Method::kGetPeer, *context, [&]() -> grpc::Status {
    if (grpc::Status s = CheckPeerAddress(request->realm(), request->name()); !s.ok()) return s;
    Answers answers;
    if (grpc::Status s = Ask(*context, request->scope(), "get", *request, &answers); !s.ok()) {
      return s;
    }
    return OnePeer(answers, response);
  });
}

grpc::Status AdminService::LocalFind(const std::string& realm, const std::string& name,
                                     core::PeerRecord* record) {
  return FindPeer(*core_.directory, realm, name, record);
}

grpc::Status AdminService::OnePeer(const Answers& answers, google::protobuf::Message* out) {
  grpc::Status last = grpc::Status(grpc::StatusCode::NOT_FOUND, "no such peer");
  for (const NodeAnswer& answer : answers.answers) {
    if (answer.status.ok()) {
      return out->ParseFromString(answer.payload)
                 ? grpc::Status::OK
                 : grpc::Status(grpc::StatusCode::INTERNAL, "bad answer");
    }
    last = answer.status;
  }
  if (!answers.missing.empty() && last.error_code() == grpc::StatusCode::NOT_FOUND) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "not found on the nodes that answered; " +
                            std::to_string(answers.missing.size()) + " did not answer");
  }
  return last;
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
    if (grpc::Status s = CheckPeerAddress(request->realm(), request->name()); !s.ok()) return s;
    Answers answers;
    if (grpc::Status s = Ask(*context, request->scope(), "kick", *request, &answers); !s.ok()) {
      return s;
    }
    return OnePeer(answers, response);
  });
}

grpc::Status AdminService::LocalKick(const v1::DisconnectPeerRequest& request,
                                   v1::DisconnectPeerResponse* response) {
  const std::uint32_t code =
      request.code() == 0 ? core::ToWire(core::CloseCode::kKicked) : request.code();
  core::PeerRecord record;
  if (grpc::Status s = LocalFind(request.realm(), request.name(), &record); !s.ok()) {
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
  kicked.reason = request.reason();
  core_.events.Publish(kicked);
  record.peer->Close(static_cast<std::uint16_t>(code), request.reason(),
                    core::DisconnectReason::kKicked);
  response->mutable_peer()->set_node(core_.bus->node());
  return grpc::Status::OK;
}

grpc::Status AdminService::GetStats(grpc::ServerContext* context,
                                    const v1::GetStatsRequest* request, v1::Stats* response) {
  return Call(Method::kGetStats, *context, [&]() -> grpc::Status {
    Answers answers;
    bool cluster = core_.bus->state() != core::Bus::State::kDisabled &&
                   request->scope() != v1::SCOPE_LOCAL;
    if (grpc::Status s = Ask(*context, request->scope(), "stats", *request, &answers); !s.ok()) {
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE) return s;
      // The cluster cannot be asked (Redis away, or fenced): this node's counters are what an
      // operator looking into the outage needs; `nodes` names only this one.
      answers = Answers();
      if (s = Ask(*context, v1::SCOPE_LOCAL, "stats", *request, &answers); !s.ok()) return s;
      cluster = true;
    }
    for (const NodeAnswer& answer : answers.answers) {
      v1::Stats part;
      if (!answer.status.ok()) continue;
      if (!part.ParseFromString(answer.payload)) {
        return grpc::Status(grpc::StatusCode::INTERNAL, "bad answer");
      }
      AddStats(part, response);
      if (cluster) response->add_nodes(answer.node);
    }
    for (core::NodeId node : answers.missing) response->add_incomplete_nodes(node);
    // Who answers for the cluster: this node's version, uptime and phase.
    response->set_version(options_.version);
    *response->mutable_uptime() = TimeUtil::NanosecondsToDuration(
        absl::ToInt64Nanoseconds(core_.clock.Now() - core_.started_at));
    response->set_phase(Phase(core_.lifecycle.phase()));
    return grpc::Status::OK;
  });
}

void AdminService::LocalStats(v1::Stats* response) {
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
  response->set_phase(Phase(core_.lifecycle.phase()));
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
  auto count = [this, caller = context->peer()](grpc::StatusCode code) {
    CountCall(Method::kWatchEvents, code, caller);
  };
  if (grpc::Status status = Authorize(*context); !status.ok()) {
    return new WatchReactor(std::move(status), count);
  }
  auto filter = FromProto(request->filter());
  if (!filter.ok()) return new WatchReactor(ToGrpc(filter.status()), count);
  const bool cluster = core_.bus->state() != core::Bus::State::kDisabled &&
                       request->scope() != v1::SCOPE_LOCAL;
  filter->this_node_only = !cluster;
  auto subscription = core_.events.Subscribe(*std::move(filter), options_.watch_queue);
  if (!cluster) return new WatchReactor(core_.events, std::move(subscription), count);
  // The headers tell the client that events flow, so before them: this node subscribes to the
  // events channel, then asks every node to forward, and each forwards from when it answers.
  // Both waits are bounded (a second for the subscription, the survey's timeout for the
  // answers); a node that did not answer in time forwards once it sees the watching key.
  cluster_watchers_.fetch_add(1);
  auto subscribed = std::make_shared<std::promise<void>>();
  std::future<void> done = subscribed->get_future();
  core_.bus->StartWatching([subscribed] { subscribed->set_value(); });
  done.wait_for(std::chrono::seconds(1));
  Answers answered;
  (void)Ask(*context, v1::SCOPE_CLUSTER, "watch", *request, &answered);
  auto finished = [this, count](grpc::StatusCode code) {
    if (cluster_watchers_.fetch_sub(1) == 1) core_.bus->StopWatching();
    count(code);
  };
  return new WatchReactor(core_.events, std::move(subscription), finished);
}

grpc::Status AdminService::Drain(grpc::ServerContext* context, const v1::DrainRequest* request,
                                 v1::DrainResponse* response) {
  return Call(Method::kDrain, *context, [&]() -> grpc::Status {
    if (request->grace().seconds() < 0 || request->grace().nanos() < 0) {
      return Invalid("grace must not be negative");
    }
    Answers answers;
    if (grpc::Status s = AskNodes(*context, request->node(), request->scope(), "drain", *request,
                                  &answers);
        !s.ok()) {
      return s;
    }
    return FoldNodeAnswers(
        answers,
        [&](const NodeAnswer& answer) {
          v1::DrainResponse part;
          if (!part.ParseFromString(answer.payload)) {
            return grpc::Status(grpc::StatusCode::INTERNAL, "bad answer");
          }
          response->set_connections(response->connections() + part.connections());
          if (part.close_at() > response->close_at()) {
            *response->mutable_close_at() = part.close_at();
          }
          response->add_drained_nodes(answer.node);
          return grpc::Status::OK;
        },
        [&](core::NodeId node) { response->add_incomplete_nodes(node); });
  });
}

grpc::Status AdminService::FoldNodeAnswers(
    const Answers& answers, absl::FunctionRef<grpc::Status(const NodeAnswer&)> apply,
    absl::FunctionRef<void(core::NodeId)> missing) {
  grpc::Status refused(grpc::StatusCode::UNAVAILABLE, "no node answered");
  bool done = false;
  for (const NodeAnswer& answer : answers.answers) {
    if (!answer.status.ok()) {
      refused = answer.status;
      continue;
    }
    if (grpc::Status s = apply(answer); !s.ok()) return s;
    done = true;
  }
  for (core::NodeId node : answers.missing) missing(node);
  return done ? grpc::Status::OK : refused;
}

grpc::Status AdminService::AskNodes(const grpc::ServerContextBase& context, std::uint64_t node,
                                    v1::Scope scope, std::string_view op,
                                    const google::protobuf::Message& question, Answers* out) {
  const bool cluster = scope == v1::SCOPE_CLUSTER;
  if (cluster && node != 0) return Invalid("node and SCOPE_CLUSTER exclude each other");
  const bool elsewhere = node != 0 && node != core_.bus->node();
  if ((cluster || elsewhere) && core_.bus->state() == core::Bus::State::kDisabled) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "not a node of a cluster (REDIS_ADDR is not set)");
  }
  return Ask(context, cluster || elsewhere ? v1::SCOPE_CLUSTER : v1::SCOPE_LOCAL, op, question,
             out, elsewhere ? node : core::kNoNode);
}

grpc::Status AdminService::Undrain(grpc::ServerContext* context, const v1::UndrainRequest* request,
                                   v1::UndrainResponse* response) {
  return Call(Method::kUndrain, *context, [&]() -> grpc::Status {
    Answers answers;
    if (grpc::Status s = AskNodes(*context, request->node(), request->scope(), "undrain", *request,
                                  &answers);
        !s.ok()) {
      return s;
    }
    return FoldNodeAnswers(
        answers,
        [&](const NodeAnswer& answer) {
          response->add_undrained_nodes(answer.node);
          return grpc::Status::OK;
        },
        [&](core::NodeId node) { response->add_incomplete_nodes(node); });
  });
}

grpc::Status AdminService::LocalUndrain() {
  if (absl::Status s = core_.lifecycle.Undrain(); !s.ok()) return ToGrpc(s);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListRooms(grpc::ServerContext* context,
                                     const v1::ListRoomsRequest* request,
                                     v1::ListRoomsResponse* response) {
  return Call(Method::kListRooms, *context, [&]() -> grpc::Status {
    if (request->page_size() < 0) return Invalid("page_size must not be negative");
    const std::size_t page_size = PageSize(*request);
    Answers answers;
    if (grpc::Status s = Ask(*context, request->scope(), "rooms", *request, &answers); !s.ok()) {
      return s;
    }
    // Each node sent its first page_size + 1 rooms after the token, in realm order: the first
    // page_size of their union are complete (every node's members of them are among its answer),
    // and one more tells that another page follows.
    std::map<std::string, v1::Room> rooms;
    for (const NodeAnswer& answer : answers.answers) {
      if (!answer.status.ok()) return answer.status;
      v1::ListRoomsResponse part;
      if (!part.ParseFromString(answer.payload)) {
        return grpc::Status(grpc::StatusCode::INTERNAL, "bad answer");
      }
      for (const v1::Room& room : part.rooms()) {
        v1::Room& merged = rooms[room.realm()];
        merged.set_protocol(room.protocol());
        merged.set_realm(room.realm());
        merged.set_members(merged.members() + room.members());
        merged.set_nodes(merged.nodes() + 1);
      }
    }
    for (auto& [realm, room] : rooms) {
      if (static_cast<std::size_t>(response->rooms_size()) == page_size) {
        response->set_next_page_token(response->rooms(response->rooms_size() - 1).realm());
        break;
      }
      *response->add_rooms() = std::move(room);
    }
    for (core::NodeId node : answers.missing) response->add_incomplete_nodes(node);
    return grpc::Status::OK;
  });
}

void AdminService::LocalRooms(const v1::ListRoomsRequest& request,
                              v1::ListRoomsResponse* response) {
  for (core::RealmSummary& realm :
       core_.directory->Realms(request.page_token(), PageSize(request) + 1)) {
    v1::Room* room = response->add_rooms();
    room->set_protocol(realm.protocol);
    room->set_realm(std::move(realm.realm));
    room->set_members(realm.members);
    room->set_nodes(1);
  }
}

grpc::Status AdminService::LocalDrain(const v1::DrainRequest& request,
                                      v1::DrainResponse* response) {
  const absl::Duration grace = request.has_grace()
                                   ? absl::Seconds(request.grace().seconds()) +
                                         absl::Nanoseconds(request.grace().nanos())
                                   : options_.default_drain_grace;
  response->set_connections(core_.connections.size());
  if (absl::Status s = core_.lifecycle.Drain(grace); !s.ok()) return ToGrpc(s);
  *response->mutable_close_at() = ToProto(core_.clock.Now() + grace);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListNodes(grpc::ServerContext* context, const v1::ListNodesRequest*,
                                     v1::ListNodesResponse* response) {
  return Call(Method::kListNodes, *context, [&]() -> grpc::Status {
    if (core_.bus->state() == core::Bus::State::kDisabled) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "not a node of a cluster (REDIS_ADDR is not set)");
    }
    Answers answers;
    if (grpc::Status s = Ask(*context, v1::SCOPE_CLUSTER, "node", v1::ListNodesRequest(), &answers);
        !s.ok()) {
      return s;
    }
    for (const NodeAnswer& answer : answers.answers) {
      if (answer.status.ok() && !response->add_nodes()->ParseFromString(answer.payload)) {
        return grpc::Status(grpc::StatusCode::INTERNAL, "bad answer");
      }
    }
    for (core::NodeId node : answers.missing) response->add_incomplete_nodes(node);
    return grpc::Status::OK;
  });
}

grpc::Status AdminService::ReloadKeys(grpc::ServerContext* context,
                                      const v1::ReloadKeysRequest* request,
                                      v1::ReloadKeysResponse* response) {
  return Call(Method::kReloadKeys, *context, [&]() -> grpc::Status {
    Answers answers;
    if (grpc::Status s = Ask(*context, request->scope(), "keys", *request, &answers); !s.ok()) {
      return s;
    }
    // A node whose file did not load (or has auth off) fails the call, so the operator hears
    // of it; the others reloaded all the same.
    grpc::Status failed = grpc::Status::OK;
    for (const NodeAnswer& answer : answers.answers) {
      v1::ReloadKeysResponse part;
      if (!answer.status.ok()) {
        failed = answer.status;
        continue;
      }
      if (!part.ParseFromString(answer.payload)) {
        return grpc::Status(grpc::StatusCode::INTERNAL, "bad answer");
      }
      if (answer.node == core_.bus->node()) *response->mutable_kids() = part.kids();
      response->add_reloaded_nodes(answer.node);
    }
    for (core::NodeId node : answers.missing) response->add_incomplete_nodes(node);
    if (failed.ok() && response->reloaded_nodes().empty()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no node answered");
    }
    return failed;
  });
}

grpc::Status AdminService::LocalReloadKeys(v1::ReloadKeysResponse* response) {
  if (!options_.reload_keys) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "auth is off (JWT_KEYS_FILE is not set)");
  }
  absl::StatusOr<std::vector<std::string>> kids = options_.reload_keys();
  if (!kids.ok()) return ToGrpc(kids.status());
  for (std::string& kid : *kids) response->add_kids(std::move(kid));
  return grpc::Status::OK;
}

void AdminService::LocalNode(v1::Node* node) {
  const absl::Time now = core_.clock.Now();
  node->set_id(core_.bus->node());
  node->set_address(options_.address);
  {
    core::MutexLock lock(&admin_address_mu_);
    node->set_admin_address(admin_address_);
  }
  node->set_version(options_.version);
  *node->mutable_started_at() = ToProto(core_.started_at);
  *node->mutable_uptime() =
      TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(now - core_.started_at));
  node->set_phase(Phase(core_.lifecycle.phase()));
  node->set_bus(std::string(core::Bus::Name(core_.bus->state())));
  node->set_connections(core_.connections.size());
  node->set_peers(core_.directory->size());
  *node->mutable_heartbeat() = ToProto(now);
}

std::string AdminService::AnswerSurvey(std::string_view op, std::string_view question) {
  if (op == "peers") {
    v1::ListPeersRequest request;
    v1::ListPeersResponse response;
    if (!request.ParseFromArray(question.data(), static_cast<int>(question.size()))) {
      return EncodeAnswer(Invalid("bad question"), nullptr);
    }
    return EncodeAnswer(LocalPeers(request, &response), &response);
  }
  if (op == "get") {
    v1::GetPeerRequest request;
    if (!request.ParseFromArray(question.data(), static_cast<int>(question.size()))) {
      return EncodeAnswer(Invalid("bad question"), nullptr);
    }
    core::PeerRecord record;
    grpc::Status status = LocalFind(request.realm(), request.name(), &record);
    v1::Peer peer;
    if (status.ok()) {
      Fill(record, &peer);
      peer.set_node(core_.bus->node());
    }
    return EncodeAnswer(status, &peer);
  }
  if (op == "kick") {
    v1::DisconnectPeerRequest request;
    v1::DisconnectPeerResponse response;
    if (!request.ParseFromArray(question.data(), static_cast<int>(question.size()))) {
      return EncodeAnswer(Invalid("bad question"), nullptr);
    }
    return EncodeAnswer(LocalKick(request, &response), &response);
  }
  if (op == "stats") {
    v1::Stats stats;
    LocalStats(&stats);
    return EncodeAnswer(grpc::Status::OK, &stats);
  }
  if (op == "drain") {
    v1::DrainRequest request;
    v1::DrainResponse response;
    if (!request.ParseFromArray(question.data(), static_cast<int>(question.size()))) {
      return EncodeAnswer(Invalid("bad question"), nullptr);
    }
    grpc::Status status = LocalDrain(request, &response);
    return EncodeAnswer(status, &response);
  }
  if (op == "undrain") {
    return EncodeAnswer(LocalUndrain(), nullptr);
  }
  if (op == "rooms") {
    v1::ListRoomsRequest request;
    v1::ListRoomsResponse response;
    if (!request.ParseFromArray(question.data(), static_cast<int>(question.size()))) {
      return EncodeAnswer(Invalid("bad question"), nullptr);
    }
    LocalRooms(request, &response);
    return EncodeAnswer(grpc::Status::OK, &response);
  }
  if (op == "watch") {
    core_.bus->MarkWatched();
    return EncodeAnswer(grpc::Status::OK, nullptr);
  }
  if (op == "keys") {
    v1::ReloadKeysResponse response;
    return EncodeAnswer(LocalReloadKeys(&response), &response);
  }
  if (op == "node") {
    v1::Node node;
    LocalNode(&node);
    return EncodeAnswer(grpc::Status::OK, &node);
  }
  return EncodeAnswer(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown survey"), nullptr);
}

grpc::Status AdminService::Ask(const grpc::ServerContextBase& context, v1::Scope scope,
                               std::string_view op, const google::protobuf::Message& question,
                               Answers* out, core::NodeId target) {
  const std::string asked = question.SerializeAsString();
  auto decode = [out](core::NodeId node, std::string_view answer) {
    NodeAnswer decoded{node, grpc::Status::OK, {}};
    if (!DecodeAnswer(answer, &decoded.status, &decoded.payload)) {
      decoded.status = grpc::Status(grpc::StatusCode::INTERNAL, "bad answer");
    }
    out->answers.push_back(std::move(decoded));
  };
  if (core_.bus->state() == core::Bus::State::kDisabled || scope == v1::SCOPE_LOCAL) {
    decode(core_.bus->node(), AnswerSurvey(op, asked));
    return grpc::Status::OK;
  }
  // Until 2 s, or the call's deadline less 50 ms for the answer to reach the caller.
  absl::Duration timeout = absl::Seconds(2);
  const auto deadline = context.deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    timeout = std::clamp(absl::FromChrono(deadline - std::chrono::system_clock::now()) -
                             absl::Milliseconds(50),
                         absl::ZeroDuration(), timeout);
  }
  auto promise = std::make_shared<std::promise<absl::StatusOr<core::Bus::SurveyAnswers>>>();
  std::future<absl::StatusOr<core::Bus::SurveyAnswers>> future = promise->get_future();
  core_.bus->Survey(std::string(op), asked, target, timeout,
                    [promise](absl::StatusOr<core::Bus::SurveyAnswers> answers) {
                      promise->set_value(std::move(answers));
                    });
  // The bus answers by the timeout; the margin covers a bus stopped with the survey in flight.
  if (future.wait_for(absl::ToChronoNanoseconds(timeout + absl::Seconds(1))) !=
      std::future_status::ready) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the cluster did not answer");
  }
  absl::StatusOr<core::Bus::SurveyAnswers> answers = future.get();
  if (!answers.ok()) return ToGrpc(answers.status());
  for (const auto& [node, answer] : answers->answers) decode(node, answer);
  out->missing = std::move(answers->missing);
  return grpc::Status::OK;
}

}  // namespace sig::admin
