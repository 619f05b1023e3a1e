#include "admin/admin_server.h"

#include <chrono>
#include <utility>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "core/log.h"

namespace sig::admin {

AdminServer::AdminServer(Options options, core::Node& node)
    : options_(std::move(options)), core_(node), service_(node, options_.service) {
  // A cluster node answers the other nodes' admin surveys even without an admin listener of its
  // own, so that any node's ListPeers sees its peers.
  core_.bus->SetSurveyHandler([this](std::string_view op, std::string_view question) {
    return service_.AnswerSurvey(op, question);
  });
  core_.bus->SetEventHandler([this](core::NodeId from, std::string_view event) {
    service_.OnRemoteEvent(from, event);
  });
}

AdminServer::~AdminServer() {
  Shutdown(absl::ZeroDuration());
  core_.bus->SetSurveyHandler(nullptr);
  core_.bus->SetEventHandler(nullptr);
}

absl::Status AdminServer::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  // Called, not left to the library's static initializer: with --as-needed the linker drops an
  // unreferenced libgrpc++_reflection and reflection would answer UNIMPLEMENTED.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second sigd could then bind the same admin address and
  // each call would reach either process. A taken address is a startup error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options_.address, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError("cannot serve the admin API on " + options_.address);
  }
  RefreshHealth();
  listener_ = core_.lifecycle.AddListener(
      [this](core::Lifecycle::Phase, absl::Duration) { RefreshHealth(); });
  core_.bus->SetStateListener([this](core::Bus::State) { RefreshHealth(); });
  service_.SetAdminAddress(options_.address.substr(0, options_.address.rfind(':') + 1) +
                           std::to_string(port_));
  return absl::OkStatus();
}

void AdminServer::RefreshHealth() {
  // Serialised, so that two changes racing cannot leave the older answer in place.
  core::MutexLock lock(&health_mu_);
  if (server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  const bool serving = !shut_down_ && core_.lifecycle.serving();
  const core::Bus::State bus = core_.bus->state();
  health->SetServingStatus("", serving && core::Bus::Accepting(bus));
  health->SetServingStatus(v1::SignalAdmin::service_full_name(), serving);
  if (bus != core::Bus::State::kDisabled) {
    health->SetServingStatus(std::string(kBusHealthService), !shut_down_ && bus == core::Bus::State::kUp);
  }
}

void AdminServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  core_.lifecycle.RemoveListener(listener_);
  core_.bus->SetStateListener(nullptr);
  {
    core::MutexLock lock(&health_mu_);
    shut_down_ = true;
  }
  RefreshHealth();
  core_.events.Close();
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
  server_->Wait();
  server_.reset();
}

}  // namespace sig::admin
