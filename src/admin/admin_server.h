#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "admin/admin_service.h"
#include "core/mutex.h"

namespace grpc {
class Server;
}

namespace sig::admin {

// The gRPC listener for the operator plane: SignalAdmin, grpc.health.v1.Health and server
// reflection (v1alpha, the one gRPC 1.51 serves). Health, for load balancers and probes:
//   ""                          SERVING while the node takes peers: serving, and (a cluster
//                               node) its bus up; NOT_SERVING draining, stopping, bus down or
//                               fenced (for readiness);
//   "sig.admin.v1.SignalAdmin"  SERVING until the lifecycle leaves serving (for liveness: a
//                               Redis outage does not make it fail);
//   "sig.bus"                   a cluster node only: SERVING while its bus is up.
//
// Health and reflection need no token: probes must work without secrets, and reflection only
// describes the schema. Bind to loopback or a private interface (the default is 127.0.0.1).
class AdminServer {
 public:
  struct Options {
    std::string address = "127.0.0.1:50051";  // host:port; port 0 picks a free one
    AdminService::Options service;
  };

  // Serves the admin API over `node`, which must outlive the server.
  AdminServer(Options options, core::Node& node);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and serves. Unavailable if the address cannot be bound.
  absl::Status Start();
  int port() const { return port_; }

  // Ends WatchEvents streams, lets other calls finish for up to `grace`, then cancels them.
  void Shutdown(absl::Duration grace);

 private:
  static constexpr std::string_view kBusHealthService = "sig.bus";

  // Sets every health status from the lifecycle and the bus.
  void RefreshHealth() ABSL_LOCKS_EXCLUDED(health_mu_);

  Options options_;
  core::Node& core_;
  AdminService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::size_t listener_ = 0;  // in core_.lifecycle
  core::Mutex health_mu_;
  bool shut_down_ ABSL_GUARDED_BY(health_mu_) = false;
};

}  // namespace sig::admin
