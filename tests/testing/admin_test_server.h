#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "admin/admin_server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "sig/admin/v1/admin.grpc.pb.h"
#include "testing/test_server.h"

namespace sig::testing {

// ServerTest plus the admin gRPC service on 127.0.0.1 and a free port, over the same core, and
// client stubs on a real channel. Set admin_options_ before StartAll().
class AdminServerTest : public ServerTest {
 protected:
  void StartAll() {
    StartServer();
    admin_options_.address = "127.0.0.1:0";
    admin_options_.service.version = "test-version";
    admin_ = std::make_unique<admin::AdminServer>(admin_options_, *node_);
    absl::Status s = admin_->Start();
    ASSERT_TRUE(s.ok()) << s;
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(admin_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = admin::v1::SignalAdmin::NewStub(channel_);
    health_ = grpc::health::v1::Health::NewStub(channel_);
  }
  void TearDown() override {
    if (admin_) admin_->Shutdown(absl::Seconds(1));
    ServerTest::TearDown();
  }

  // A context with a deadline and, when `token` is not empty, the bearer token.
  static std::unique_ptr<grpc::ClientContext> Context(std::string_view token = {}) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(kWait));
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + std::string(token));
    return context;
  }

  admin::AdminServer::Options admin_options_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<admin::v1::SignalAdmin::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace sig::testing
