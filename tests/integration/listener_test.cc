// The listeners as an operator configures them: the default host takes IPv6 and IPv4 on one
// port, clients are shown by their own address family, and METRICS_ADDR moves /metrics to a
// listener of its own.

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/test_server.h"

namespace sig {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class DualStackTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    host_ = "::";
    StartServer();
  }

  std::string RemoteAddressOf(std::string_view name) {
    auto record = node_->directory->Find("td/", name);
    return record ? record->peer->Info().remote_address : "";
  }
};

TEST_F(DualStackTest, ServesIpv4AndIpv6ClientsOnOnePort) {
  EXPECT_EQ(server_->host(), "::");
  auto v4 = testing::WsClient::Connect(server_->port());
  ASSERT_TRUE(v4.ok()) << v4.status();
  ASSERT_TRUE((*v4)->Login("four").ok());
  auto v6 = testing::WsClient::ConnectTo("::1", server_->port());
  ASSERT_TRUE(v6.ok()) << v6.status();
  ASSERT_TRUE((*v6)->Login("six").ok());
  // An IPv4 client is shown as IPv4, not as ::ffff:127.0.0.1; IPv6 in brackets.
  EXPECT_THAT(RemoteAddressOf("four"), StartsWith("127.0.0.1:"));
  EXPECT_THAT(RemoteAddressOf("six"), StartsWith("[::1]:"));
  ASSERT_TRUE((*v4)->Send(R"({"type":"offer","target":"six"})").ok());
  EXPECT_TRUE((*v6)->ReadType("offer").ok());
  auto health = testing::HttpRequestTo("::1", server_->port(), "GET", "/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
}

class MetricsListenerTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    metrics_ = edge::HostPort{"127.0.0.1", 0};
    StartServer();
  }
};

TEST_F(MetricsListenerTest, MetricsMoveToTheirOwnListener) {
  ASSERT_NE(server_->metrics_port(), 0);
  ASSERT_NE(server_->metrics_port(), server_->port());
  auto scraped = testing::HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(scraped.ok()) << scraped.status();
  EXPECT_EQ(scraped->status, 200);
  EXPECT_THAT(scraped->body, HasSubstr("sig_connections "));
  auto public_metrics = testing::HttpGet(server_->port(), "/metrics");
  ASSERT_TRUE(public_metrics.ok());
  EXPECT_EQ(public_metrics->status, 404);
  // The public port serves the rest as before; the metrics port nothing else.
  EXPECT_EQ(testing::HttpGet(server_->port(), "/health")->status, 200);
  EXPECT_EQ(testing::HttpGet(server_->metrics_port(), "/health")->status, 404);
  EXPECT_EQ(testing::HttpGet(server_->metrics_port(), "/demo")->status, 404);
  EXPECT_FALSE(testing::WsClient::Connect(server_->metrics_port()).ok());
  EXPECT_EQ(testing::HttpRequest(server_->metrics_port(), "POST", "/metrics")->status, 405);
  EXPECT_TRUE(LoggedIn("alice"));
}

}  // namespace
}  // namespace sig
