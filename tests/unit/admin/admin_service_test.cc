// AdminService over gRPC's in-process channel: real calls through the generated stubs, no
// sockets, the core built here with fake peers and a fake clock.

#include "admin/admin_service.h"

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "core/node.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/core_fixtures.h"
#include "testing/fake_peer.h"

namespace sig::admin {
namespace {

using ::testing::ElementsAre;

class AdminServiceTest : public ::testing::Test {
 protected:
  void Start() {
    service_ = std::make_unique<AdminService>(node_, options_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::SignalAdmin::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override {
    node_.events.Close();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  std::shared_ptr<testing::FakePeer> Join(std::string_view realm, std::string_view name,
                                         core::Protocol protocol = sig::v1::PROTOCOL_TD) {
    auto peer = std::make_shared<testing::FakePeer>();
    core::ClaimRequest request = testing::Claim(realm, name, next_id_++, peer, nullptr);
    request.protocol = protocol;
    EXPECT_EQ(testing::JoinNow(node_.router, std::move(request)).outcome,
              core::ClaimOutcome::kClaimed);
    peers_.push_back(peer);
    return peer;
  }

  static std::unique_ptr<grpc::ClientContext> Context(std::string_view token = {}) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + std::string(token));
    return context;
  }

  core::Limits limits_;
  testing::FakeClock clock_;
  core::Node node_{limits_, clock_};
  AdminService::Options options_;
  std::unique_ptr<AdminService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::SignalAdmin::Stub> stub_;
  std::vector<std::shared_ptr<testing::FakePeer>> peers_;
  std::uint64_t next_id_ = 1;
};

TEST_F(AdminServiceTest, ListPeersPagesInConnectionOrderAndFilters) {
  Start();
  Join("td/a", "alice");
  Join("td/a", "bob");
  Join("peerjs/k", "carol", sig::v1::PROTOCOL_PEERJS);
  v1::ListPeersRequest request;
  request.set_page_size(2);
  v1::ListPeersResponse first;
  ASSERT_TRUE(stub_->ListPeers(Context().get(), request, &first).ok());
  ASSERT_EQ(first.peers_size(), 2);
  EXPECT_EQ(first.peers(0).name(), "alice");
  EXPECT_EQ(first.peers(1).name(), "bob");
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  v1::ListPeersResponse second;
  ASSERT_TRUE(stub_->ListPeers(Context().get(), request, &second).ok());
  ASSERT_EQ(second.peers_size(), 1);
  EXPECT_EQ(second.peers(0).name(), "carol");
  EXPECT_EQ(second.peers(0).protocol(), sig::v1::PROTOCOL_PEERJS);

  v1::ListPeersRequest peerjs_only;
  peerjs_only.mutable_filter()->set_protocol(sig::v1::PROTOCOL_PEERJS);
  v1::ListPeersResponse filtered;
  ASSERT_TRUE(stub_->ListPeers(Context().get(), peerjs_only, &filtered).ok());
  ASSERT_EQ(filtered.peers_size(), 1);
  EXPECT_EQ(filtered.peers(0).realm(), "peerjs/k");
  // The token is bound to its filter.
  peerjs_only.set_page_token(first.next_page_token());
  EXPECT_EQ(stub_->ListPeers(Context().get(), peerjs_only, &filtered).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AdminServiceTest, DisconnectPeerClosesItWithTheCodeAndRefusesBadCodes) {
  Start();
  auto alice = Join("td/a", "alice");
  v1::DisconnectPeerRequest request;
  request.set_realm("td/a");
  request.set_name("alice");
  request.set_reason("spam");
  v1::DisconnectPeerResponse response;
  ASSERT_TRUE(stub_->DisconnectPeer(Context().get(), request, &response).ok());
  EXPECT_EQ(response.code(), 4002u);
  EXPECT_THAT(alice->Closes(), ElementsAre("4002 spam"));
  request.set_code(999);  // reserved: not a code a browser accepts from close()
  EXPECT_EQ(stub_->DisconnectPeer(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_code(4100);
  request.set_name("nobody");
  EXPECT_EQ(stub_->DisconnectPeer(Context().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdminServiceTest, EveryCallNeedsTheTokenWhenOneIsSetAndIsCounted) {
  options_.token = "s3cret";
  Start();
  v1::Stats stats;
  EXPECT_EQ(stub_->GetStats(Context().get(), v1::GetStatsRequest(), &stats).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->GetStats(Context("wrong").get(), v1::GetStatsRequest(), &stats).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(stub_->GetStats(Context("s3cret").get(), v1::GetStatsRequest(), &stats).ok());
  const auto get_stats = static_cast<std::size_t>(
      std::find(core::Stats::kAdminMethods.begin(), core::Stats::kAdminMethods.end(), "GetStats") -
      core::Stats::kAdminMethods.begin());
  EXPECT_EQ(node_.stats.admin_calls(get_stats, grpc::StatusCode::UNAUTHENTICATED), 2u);
  EXPECT_EQ(node_.stats.admin_calls(get_stats, grpc::StatusCode::OK), 1u);
  // A watch is refused the same way, without a subscription.
  v1::WatchEventsRequest watch;
  auto context = Context();
  auto reader = stub_->WatchEvents(context.get(), watch);
  v1::PeerEvent event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(node_.events.watchers(), 0u);
}

TEST_F(AdminServiceTest, WatchEventsStreamsEventsAndEndsWhenTheHubCloses) {
  Start();
  v1::WatchEventsRequest request;
  request.mutable_filter()->set_realm("td/w");
  auto context = Context();
  auto reader = stub_->WatchEvents(context.get(), request);
  reader->WaitForInitialMetadata();  // subscribed
  EXPECT_EQ(node_.events.watchers(), 1u);
  Join("td/other", "ignored");
  Join("td/w", "dave");
  v1::PeerEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), v1::PeerEvent::KIND_JOINED);
  EXPECT_EQ(event.name(), "dave");
  node_.events.Close();
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(AdminServiceTest, DrainOnceThenFailedPrecondition) {
  Start();
  v1::DrainRequest request;
  request.mutable_grace()->set_seconds(2);
  v1::DrainResponse response;
  ASSERT_TRUE(stub_->Drain(Context().get(), request, &response).ok());
  EXPECT_EQ(node_.lifecycle.phase(), core::Lifecycle::Phase::kDraining);
  EXPECT_EQ(response.close_at().seconds(), absl::ToUnixSeconds(clock_.Now()) + 2);
  EXPECT_EQ(stub_->Drain(Context().get(), request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace sig::admin
