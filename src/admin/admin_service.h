#pragma once

#include <cstddef>
#include <string>

#include "absl/time/time.h"
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
  };

  // Reports on and acts on `node`, which must outlive the service.
  AdminService(core::Node& node, Options options);

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

 private:
  enum class Method : std::size_t;  // positions in core::Stats::kAdminMethods

  // Authorizes, runs `handler`, counts the outcome.
  template <typename Handler>
  grpc::Status Call(Method method, const grpc::ServerContextBase& context, Handler&& handler);
  grpc::Status Authorize(const grpc::ServerContextBase& context) const;
  void CountCall(Method method, grpc::StatusCode code);

  core::Node& core_;
  const Options options_;
};

}  // namespace sig::admin
