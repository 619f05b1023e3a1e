#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "core/node.h"
#include "sig/admin/v1/admin.grpc.pb.h"

namespace sig::admin {

// sig.admin.v1.SignalAdmin over the core: it sees peers only through core::Router and
// core::Peer, never sockets, so a forced disconnect is core::Peer::Close. Synchronous gRPC
// handlers; every one is thread-safe because everything it touches in the core is.
//
// Each call is authorized first (with a token configured, `authorization: Bearer <token>`),
// then counted in core::Stats by method and status code.
// WatchEvents is on gRPC's callback API (a write reactor fed by the event hub, one write in
// flight), so a watcher holds no thread; the other methods are short and synchronous.
class AdminService final
    : public sig::admin::v1::SignalAdmin::WithCallbackMethod_WatchEvents<
          sig::admin::v1::SignalAdmin::Service> {
 public:
  struct Options {
    std::string token;    // empty: no authorization required
    std::string version;  // reported by GetStats
    absl::Duration default_drain_grace = absl::Seconds(30);
    std::size_t watch_queue = 1024;  // events buffered per WatchEvents stream
    // This node's WebSocket listener as ListNodes reports it.
    std::string address;
    // Reads the token keys file again and returns the key ids now in use (ReloadKeys); unset
    // while auth is off. Any thread.
    std::function<absl::StatusOr<std::vector<std::string>>()> reload_keys;
  };

  // Reports on and acts on `node`, which must outlive the service.
  AdminService(core::Node& node, Options options);
  ~AdminService() override;
  AdminService(const AdminService&) = delete;
  AdminService& operator=(const AdminService&) = delete;

  // An event another node of the cluster forwarded (core::Bus::SetEventHandler): published to
  // this node's cluster-wide watchers.
  void OnRemoteEvent(core::NodeId node, std::string_view event);

  grpc::Status ListPeers(grpc::ServerContext* context, const v1::ListPeersRequest* request,
                         v1::ListPeersResponse* response) override;
  grpc::Status GetPeer(grpc::ServerContext* context, const v1::GetPeerRequest* request,
                       v1::Peer* response) override;
  grpc::Status DisconnectPeer(grpc::ServerContext* context,
                              const v1::DisconnectPeerRequest* request,
                              v1::DisconnectPeerResponse* response) override;
  grpc::Status GetStats(grpc::ServerContext* context, const v1::GetStatsRequest* request,
                        v1::Stats* response) override;
  grpc::ServerWriteReactor<v1::PeerEvent>* WatchEvents(
      grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) override;
  grpc::Status Drain(grpc::ServerContext* context, const v1::DrainRequest* request,
                     v1::DrainResponse* response) override;
  grpc::Status Undrain(grpc::ServerContext* context, const v1::UndrainRequest* request,
                       v1::UndrainResponse* response) override;
  grpc::Status ListRooms(grpc::ServerContext* context, const v1::ListRoomsRequest* request,
                         v1::ListRoomsResponse* response) override;
  grpc::Status ReloadKeys(grpc::ServerContext* context, const v1::ReloadKeysRequest* request,
                          v1::ReloadKeysResponse* response) override;
  grpc::Status ListNodes(grpc::ServerContext* context, const v1::ListNodesRequest* request,
                         v1::ListNodesResponse* response) override;

  // This node's answer to a survey from the node an operator asked (core::Bus::Survey): `op` is
  // "peers", "get", "kick", "stats", "drain", "undrain", "rooms", "watch", "keys" or "node", `question` the call's request, serialized; the answer is
  // "<grpc code>\t<message>\t" and the serialized response.
  std::string AnswerSurvey(std::string_view op, std::string_view question);
  // The admin listener as bound. Surveys may already be answered (from the bus's thread).
  void SetAdminAddress(std::string address) {
    core::MutexLock lock(&admin_address_mu_);
    admin_address_ = std::move(address);
  }

 private:
  enum class Method : std::size_t;  // positions in core::Stats::kAdminMethods

  // Authorizes, runs `handler`, counts the outcome.
  template <typename Handler>
  grpc::Status Call(Method method, const grpc::ServerContextBase& context, Handler&& handler);
  grpc::Status Authorize(const grpc::ServerContextBase& context) const;
  // Counts the call and writes its audit log line.
  void CountCall(Method method, grpc::StatusCode code, std::string_view caller);

  // One answer per node: every live node's for a cluster call, this node's alone otherwise.
  struct NodeAnswer {
    core::NodeId node;
    grpc::Status status;
    std::string payload;
  };
  struct Answers {
    std::vector<NodeAnswer> answers;
    std::vector<core::NodeId> missing;
  };
  // `target`, when not kNoNode, is the one node asked (a cluster scope).
  grpc::Status Ask(const grpc::ServerContextBase& context, v1::Scope scope, std::string_view op,
                   const google::protobuf::Message& question, Answers* out,
                   core::NodeId target = core::kNoNode);
  // What this node answers.
  grpc::Status LocalPeers(const v1::ListPeersRequest& request, v1::ListPeersResponse* response);
  grpc::Status LocalFind(const std::string& realm, const std::string& name,
                         core::PeerRecord* record);
  grpc::Status LocalKick(const v1::DisconnectPeerRequest& request,
                         v1::DisconnectPeerResponse* response);
  void LocalNode(v1::Node* node);
  grpc::Status LocalReloadKeys(v1::ReloadKeysResponse* response);
  void LocalStats(v1::Stats* stats);
  grpc::Status LocalDrain(const v1::DrainRequest& request, v1::DrainResponse* response);
  grpc::Status LocalUndrain();
  void LocalRooms(const v1::ListRoomsRequest& request, v1::ListRoomsResponse* response);
  // Asks the nodes a Drain or Undrain acts on: this one (`node` 0 or its own id), another node
  // by id, or with SCOPE_CLUSTER every node.
  grpc::Status AskNodes(const grpc::ServerContextBase& context, std::uint64_t node,
                        v1::Scope scope, std::string_view op,
                        const google::protobuf::Message& question, Answers* out);
  // The outcome of an operation each node asked carries out (Drain, Undrain): `apply` takes each
  // node's success (a status it returns that is not ok ends the call), `missing` each node that
  // did not answer. One node asked: its answer is the call's; several: a success if any did it.
  static grpc::Status FoldNodeAnswers(const Answers& answers,
                                      absl::FunctionRef<grpc::Status(const NodeAnswer&)> apply,
                                      absl::FunctionRef<void(core::NodeId)> missing);
  // The one peer the nodes' answers name (NOT_FOUND, or UNAVAILABLE when a node did not answer).
  static grpc::Status OnePeer(const Answers& answers, google::protobuf::Message* out);

  // Hands this node's events to the bus while some node watches the cluster.
  void ForwardEvents();

  core::Node& core_;
  const Options options_;
  std::shared_ptr<core::EventSubscription> forwarder_;  // cluster nodes only
  std::atomic<int> cluster_watchers_{0};
  core::Mutex admin_address_mu_;
  std::string admin_address_ ABSL_GUARDED_BY(admin_address_mu_);
};

}  // namespace sig::admin
