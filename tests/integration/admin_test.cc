// The admin gRPC service over a real channel on loopback, against the whole edge in-process:
// listing, paging, kicks, auth, health during a drain, the event stream, and reflection.

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/proto/grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "testing/admin_test_server.h"
#include "testing/eventually.h"

namespace sig {
namespace {

namespace v1 = admin::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using HealthStatus = grpc::health::v1::HealthCheckResponse;

class AdminTest : public testing::AdminServerTest {
 protected:
  void SetUp() override { StartAll(); }

  absl::StatusOr<v1::ListPeersResponse> List(const v1::ListPeersRequest& request) {
    v1::ListPeersResponse response;
    grpc::Status status = stub_->ListPeers(Context().get(), request, &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    return response;
  }

  HealthStatus::ServingStatus Health(const std::string& service) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    HealthStatus response;
    grpc::Status status = health_->Check(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }
};

std::vector<std::string> Names(const v1::ListPeersResponse& response) {
  std::vector<std::string> names;
  for (const auto& peer : response.peers()) names.push_back(peer.name());
  return names;
}

TEST_F(AdminTest, ListPeersShowsTdAndPeerJsPeersWithTheirCounters) {
  auto alice = LoggedIn("alice", "lobby");
  auto bob = LoggedIn("bob", "lobby");
  auto carol = OpenPeerJs("carol");
  ASSERT_TRUE(alice && bob && carol);
  ASSERT_TRUE(alice->Send(R"({"type":"offer","target":"bob","sdp":"x"})").ok());
  ASSERT_TRUE(bob->ReadType("offer").ok());
  ExpectPongNext(*bob);  // bob's offer write is complete and counted

  auto all = List({});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(Names(*all), ElementsAre("alice", "bob", "carol"));  // connection order
  EXPECT_TRUE(all->next_page_token().empty());
  const v1::Peer& a = all->peers(0);
  EXPECT_EQ(a.protocol(), sig::v1::PROTOCOL_TD);
  EXPECT_EQ(a.realm(), "td/lobby");
  EXPECT_THAT(a.remote_address(), HasSubstr("127.0.0.1:"));
  EXPECT_GT(a.connected_at().seconds(), 0);
  EXPECT_EQ(a.frames_received(), 2u);  // login, offer
  const v1::Peer& b = all->peers(1);
  EXPECT_GE(b.frames_sent(), 2u);  // login_success, the offer (the pong may still be in flight)
  EXPECT_GT(b.bytes_sent(), 0u);
  EXPECT_EQ(all->peers(2).protocol(), sig::v1::PROTOCOL_PEERJS);
  EXPECT_EQ(all->peers(2).realm(), "peerjs/peerjs");

  v1::ListPeersRequest only_peerjs;
  only_peerjs.mutable_filter()->set_protocol(sig::v1::PROTOCOL_PEERJS);
  EXPECT_THAT(Names(*List(only_peerjs)), ElementsAre("carol"));
  v1::ListPeersRequest by_realm;
  by_realm.mutable_filter()->set_realm("td/lobby");
  by_realm.mutable_filter()->set_name_prefix("b");
  EXPECT_THAT(Names(*List(by_realm)), ElementsAre("bob"));
}

TEST_F(AdminTest, PagingWalksEveryPeerExactlyOnceWhilePeersComeAndGo) {
  std::vector<std::unique_ptr<testing::WsClient>> stable;
  for (int i = 0; i < 25; ++i) stable.push_back(LoggedIn("s" + std::to_string(i), "r"));
  std::vector<std::unique_ptr<testing::WsClient>> churn;
  std::multiset<std::string> seen;
  v1::ListPeersRequest request;
  request.set_page_size(4);
  int pages = 0;
  do {
    auto page = List(request);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->peers_size(), 4);
    for (const auto& peer : page->peers()) seen.insert(peer.name());
    // Between pages: a newcomer joins and an earlier newcomer leaves.
    churn.push_back(LoggedIn("c" + std::to_string(pages), "r"));
    if (churn.size() > 1) {
      ASSERT_TRUE(churn[churn.size() - 2]->Close().ok());
    }
    request.set_page_token(page->next_page_token());
    ASSERT_LT(++pages, 100) << "the walk does not end";
  } while (!request.page_token().empty());
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(seen.count("s" + std::to_string(i)), 1u);
  }
  for (const auto& name : seen) {
    EXPECT_EQ(seen.count(name), 1u) << name << " listed twice";
  }
}

TEST_F(AdminTest, BadRequestsAreInvalidArgument) {
  v1::ListPeersRequest negative;
  negative.set_page_size(-1);
  EXPECT_TRUE(absl::IsInvalidArgument(List(negative).status()));
  v1::ListPeersRequest garbage;
  garbage.set_page_token("not a token");
  EXPECT_TRUE(absl::IsInvalidArgument(List(garbage).status()));
  v1::ListPeersRequest bad_realm;
  bad_realm.mutable_filter()->set_realm("lobby");
  EXPECT_TRUE(absl::IsInvalidArgument(List(bad_realm).status()));

  // A token from one filter does not continue another.
  std::vector<std::unique_ptr<testing::WsClient>> peers;
  for (int i = 0; i < 3; ++i) peers.push_back(LoggedIn("p" + std::to_string(i)));
  v1::ListPeersRequest first;
  first.set_page_size(1);
  auto page = List(first);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_page_token().empty());
  v1::ListPeersRequest other;
  other.set_page_token(page->next_page_token());
  other.mutable_filter()->set_name_prefix("p");
  EXPECT_TRUE(absl::IsInvalidArgument(List(other).status()));

  v1::DisconnectPeerRequest reserved;
  reserved.set_realm("td/");
  reserved.set_name("p0");
  reserved.set_code(1001);
  v1::DisconnectPeerResponse response;
  EXPECT_EQ(stub_->DisconnectPeer(Context().get(), reserved, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  reserved.set_code(4002);
  reserved.set_reason(std::string(124, 'x'));
  EXPECT_EQ(stub_->DisconnectPeer(Context().get(), reserved, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AdminTest, GetPeerAndUnknownPeersAreNotFound) {
  auto alice = LoggedIn("alice", "lobby");
  v1::GetPeerRequest request;
  request.set_realm("td/lobby");
  request.set_name("alice");
  v1::Peer peer;
  ASSERT_TRUE(stub_->GetPeer(Context().get(), request, &peer).ok());
  EXPECT_EQ(peer.name(), "alice");
  request.set_name("nobody");
  EXPECT_EQ(stub_->GetPeer(Context().get(), request, &peer).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::DisconnectPeerRequest kick;
  kick.set_realm("td/lobby");
  kick.set_name("nobody");
  v1::DisconnectPeerResponse response;
  EXPECT_EQ(stub_->DisconnectPeer(Context().get(), kick, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdminTest, KickClosesWithTheCodeAndTellsTheRoom) {
  auto alice = LoggedIn("alice", "lobby");
  auto bob = LoggedIn("bob", "lobby");
  ASSERT_TRUE(alice->ReadType("peer_connected").ok());
  v1::DisconnectPeerRequest kick;
  kick.set_realm("td/lobby");
  kick.set_name("bob");
  kick.set_reason("spamming");
  v1::DisconnectPeerResponse response;
  ASSERT_TRUE(stub_->DisconnectPeer(Context().get(), kick, &response).ok());
  EXPECT_EQ(response.code(), 4002u);
  EXPECT_EQ(response.peer().name(), "bob");
  auto code = bob->WaitClose();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 4002);
  auto left = alice->ReadType("peer_disconnected");
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(testing::Str(*left, "peer"), "bob");

  // Another code, on a PeerJS peer.
  auto carol = OpenPeerJs("carol");
  kick.set_realm("peerjs/peerjs");
  kick.set_name("carol");
  kick.set_code(4100);
  ASSERT_TRUE(stub_->DisconnectPeer(Context().get(), kick, &response).ok());
  code = carol->WaitClose();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 4100);
}

TEST_F(AdminTest, WatchSeesJoinKickAndLeave) {
  v1::WatchEventsRequest request;
  request.mutable_filter()->set_realm("td/w");
  auto context = Context();
  auto reader = stub_->WatchEvents(context.get(), request);
  reader->WaitForInitialMetadata();  // subscribed: nothing after this point is missed
  auto other = LoggedIn("elsewhere", "other");  // filtered out
  auto dave = LoggedIn("dave", "w");
  v1::DisconnectPeerRequest kick;
  kick.set_realm("td/w");
  kick.set_name("dave");
  v1::DisconnectPeerResponse response;
  ASSERT_TRUE(stub_->DisconnectPeer(Context().get(), kick, &response).ok());
  ASSERT_TRUE(dave->WaitClose().ok());

  v1::PeerEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), v1::PeerEvent::KIND_JOINED);
  EXPECT_EQ(event.name(), "dave");
  EXPECT_EQ(event.protocol(), sig::v1::PROTOCOL_TD);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), v1::PeerEvent::KIND_KICKED);
  EXPECT_EQ(event.close_code(), 4002u);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), v1::PeerEvent::KIND_LEFT);
  EXPECT_EQ(event.name(), "dave");
  EXPECT_EQ(event.dropped_before(), 0u);
  context->TryCancel();
}

// Threads of this process, from /proc.
int Threads() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

// WatchEvents is on the callback API: 64 open streams park no server thread each (the sync
// API held one per stream), and each still gets every event.
TEST_F(AdminTest, ManyWatchersHoldNoThreadEach) {
  constexpr int kWatchers = 64;
  const int before = Threads();
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::PeerEvent>>> readers;
  v1::WatchEventsRequest request;
  request.mutable_filter()->set_realm("td/many");
  for (int i = 0; i < kWatchers; ++i) {
    contexts.push_back(Context());
    readers.push_back(stub_->WatchEvents(contexts.back().get(), request));
    readers.back()->WaitForInitialMetadata();
  }
  EXPECT_EQ(server_->state().events.watchers(), static_cast<std::size_t>(kWatchers));
  EXPECT_LT(Threads() - before, kWatchers / 2) << "threads before: " << before;
  auto erin = LoggedIn("erin", "many");
  ASSERT_TRUE(erin);
  for (auto& reader : readers) {
    v1::PeerEvent event;
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(event.name(), "erin");
  }
  for (auto& context : contexts) context->TryCancel();
  EXPECT_TRUE(testing::Eventually([&] { return server_->state().events.watchers() == 0; }));
}

TEST_F(AdminTest, DrainFlipsHealthRefusesUpgradesThenCloses1012) {
  EXPECT_EQ(Health(""), HealthStatus::SERVING);
  EXPECT_EQ(Health("sig.admin.v1.SignalAdmin"), HealthStatus::SERVING);
  auto alice = LoggedIn("alice");
  ASSERT_TRUE(alice);

  v1::DrainRequest request;
  request.mutable_grace()->set_nanos(200'000'000);
  v1::DrainResponse response;
  ASSERT_TRUE(stub_->Drain(Context().get(), request, &response).ok());
  EXPECT_EQ(response.connections(), 1u);
  EXPECT_EQ(Health(""), HealthStatus::NOT_SERVING);
  EXPECT_EQ(Health("sig.admin.v1.SignalAdmin"), HealthStatus::NOT_SERVING);
  EXPECT_EQ(stub_->Drain(Context().get(), request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  auto upgrade = testing::HttpRequest(server_->port(), "GET", "/",
                                     {{"Connection", "Upgrade"},
                                      {"Upgrade", "websocket"},
                                      {"Sec-WebSocket-Version", "13"},
                                      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  ASSERT_TRUE(upgrade.ok()) << upgrade.status();
  EXPECT_EQ(upgrade->status, 503);
  EXPECT_THAT(upgrade->body, HasSubstr("draining"));
  auto health = testing::HttpGet(server_->port(), "/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 503);
  EXPECT_THAT(health->body, HasSubstr(R"("status":"draining")"));

  auto code = alice->WaitClose();  // after the grace period
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1012);

  v1::Stats stats;
  ASSERT_TRUE(stub_->GetStats(Context().get(), {}, &stats).ok());
  EXPECT_EQ(stats.phase(), v1::SERVING_PHASE_DRAINING);
  EXPECT_EQ(stats.closes_by_code().at("1012"), 1u);
  EXPECT_EQ(stats.login_rejections_by_reason().at("draining"), 1u);
}

TEST_F(AdminTest, UndrainAdmitsPeersAgainAndCallsTheClosesOff) {
  auto alice = LoggedIn("alice");
  ASSERT_TRUE(alice);
  v1::UndrainResponse undrained;
  EXPECT_EQ(stub_->Undrain(Context().get(), {}, &undrained).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // not draining
  v1::DrainRequest request;
  request.mutable_grace()->set_nanos(200'000'000);
  v1::DrainResponse drained;
  ASSERT_TRUE(stub_->Drain(Context().get(), request, &drained).ok());
  EXPECT_EQ(Health(""), HealthStatus::NOT_SERVING);

  const grpc::Status status = stub_->Undrain(Context().get(), {}, &undrained);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(undrained.undrained_nodes_size(), 1);
  EXPECT_EQ(Health(""), HealthStatus::SERVING);
  EXPECT_TRUE(LoggedIn("bob"));  // upgrades are admitted again
  auto health = testing::HttpGet(server_->port(), "/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  // Well past the drain's grace period, alice is still connected.
  EXPECT_FALSE(alice->WaitClose(absl::Milliseconds(600)).ok());
  ExpectPongNext(*alice);
  v1::Stats stats;
  ASSERT_TRUE(stub_->GetStats(Context().get(), {}, &stats).ok());
  EXPECT_EQ(stats.phase(), v1::SERVING_PHASE_SERVING);
}

TEST_F(AdminTest, ListRoomsCountsMembersByRoomInPages) {
  auto a = LoggedIn("a", "alpha");
  auto b = LoggedIn("b", "alpha");
  auto c = LoggedIn("c", "beta");
  auto d = LoggedIn("d");
  auto pj = OpenPeerJs("pj");
  ASSERT_TRUE(a && b && c && d && pj);
  v1::ListRoomsRequest request;
  request.set_page_size(2);
  std::vector<std::pair<std::string, std::uint64_t>> rooms;
  int pages = 0;
  do {
    v1::ListRoomsResponse page;
    ASSERT_TRUE(stub_->ListRooms(Context().get(), request, &page).ok());
    ++pages;
    for (const v1::Room& room : page.rooms()) {
      rooms.emplace_back(room.realm(), room.members());
      EXPECT_EQ(room.nodes(), 1u);
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, 2);
  EXPECT_THAT(rooms, ::testing::ElementsAre(std::pair<std::string, std::uint64_t>{"peerjs/peerjs", 1},
                                            std::pair<std::string, std::uint64_t>{"td/", 1},
                                            std::pair<std::string, std::uint64_t>{"td/alpha", 2},
                                            std::pair<std::string, std::uint64_t>{"td/beta", 1}));
  request.set_page_size(-1);
  v1::ListRoomsResponse refused;
  EXPECT_EQ(stub_->ListRooms(Context().get(), request, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AdminTest, StatsCountTrafficAndAdminCalls) {
  auto a = LoggedIn("a");
  auto b = LoggedIn("b");
  ASSERT_TRUE(a->Send(R"({"type":"candidate","target":"b"})").ok());
  ASSERT_TRUE(b->ReadType("candidate").ok());
  v1::Stats stats;
  ASSERT_TRUE(stub_->GetStats(Context().get(), {}, &stats).ok());
  EXPECT_EQ(stats.version(), "test-version");
  EXPECT_EQ(stats.phase(), v1::SERVING_PHASE_SERVING);
  EXPECT_EQ(stats.connections(), 2u);
  EXPECT_EQ(stats.peers_by_protocol().at("td"), 2u);
  EXPECT_EQ(stats.peers_by_protocol().at("peerjs"), 0u);
  EXPECT_EQ(stats.frames_received_by_type().at("candidate"), 1u);
  EXPECT_EQ(stats.frames_received_by_type().at("login"), 2u);
  EXPECT_GT(stats.bytes_received(), 0u);

  auto metrics = testing::HttpGet(server_->port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body, HasSubstr(R"(sig_admin_requests_total{method="GetStats",code="OK"} 1)"));
}

TEST_F(AdminTest, ReflectionListsTheServices) {
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  auto context = Context();
  auto stream = stub->ServerReflectionInfo(context.get());
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->WritesDone());
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& service : response.list_services_response().service()) {
    services.push_back(service.name());
  }
  EXPECT_THAT(services, ::testing::IsSupersetOf({"sig.admin.v1.SignalAdmin",
                                                 "grpc.health.v1.Health"}));
  EXPECT_TRUE(stream->Finish().ok());
}

class AdminAuthTest : public testing::AdminServerTest {
 protected:
  void SetUp() override {
    admin_options_.service.token = "s3cret";
    StartAll();
  }
};

TEST_F(AdminAuthTest, CallsNeedTheBearerTokenButHealthDoesNot) {
  v1::Stats stats;
  grpc::Status missing = stub_->GetStats(Context().get(), {}, &stats);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status wrong = stub_->GetStats(Context("s3crex").get(), {}, &stats);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status shorter = stub_->GetStats(Context("s3").get(), {}, &stats);
  EXPECT_EQ(shorter.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(stub_->GetStats(Context("s3cret").get(), {}, &stats).ok());

  grpc::health::v1::HealthCheckRequest request;
  HealthStatus response;
  EXPECT_TRUE(health_->Check(Context().get(), request, &response).ok());
  EXPECT_EQ(response.status(), HealthStatus::SERVING);

  auto metrics = testing::HttpGet(server_->port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body,
              HasSubstr(R"(sig_admin_requests_total{method="GetStats",code="UNAUTHENTICATED"} 3)"));
}

}  // namespace
}  // namespace sig
