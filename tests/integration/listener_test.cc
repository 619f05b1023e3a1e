// The listeners as an operator configures them: the default host takes IPv6 and IPv4 on one
// port, clients are shown by their own address family, METRICS_ADDR moves /metrics to a
// listener of its own, and behind trusted proxies the client's address is the one they name
// (X-Forwarded-For, Forwarded, PROXY protocol v2), never one an untrusted peer claims.

#include <signal.h>

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/sigd_process.h"
#include "testing/tcp_proxy.h"
#include "testing/test_server.h"

namespace sig {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The address ListPeers and the logs show for `name` in td's default room.
std::string RemoteAddressOf(core::Node& node, std::string_view name) {
  auto record = node.directory->Find("td/", name);
  return record ? record->peer->Info().remote_address : "";
}

class DualStackTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    host_ = "::";
    StartServer();
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
  EXPECT_THAT(RemoteAddressOf(*node_, "four"), StartsWith("127.0.0.1:"));
  EXPECT_THAT(RemoteAddressOf(*node_, "six"), StartsWith("[::1]:"));
  ASSERT_TRUE((*v4)->Send(R"({"type":"offer","target":"six"})").ok());
  EXPECT_TRUE((*v6)->ReadType("offer").ok());
  auto health = testing::HttpRequestTo("::1", server_->port(), "GET", "/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
}

// A kernel without IPv6 (testing/no_ipv6_preload.cc makes sigd's AF_INET6 sockets fail as
// they do there): the default host "::" falls back to IPv4, says so, and serves.
TEST(NoIpv6Test, TheDefaultHostFallsBackToIpv4) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  // The preloaded library comes before a sanitized sigd's runtime, which ASan would refuse.
  const std::string asan_options =
      std::string(asan != nullptr ? asan : "") + ":verify_asan_link_order=0";
  setenv("ASAN_OPTIONS", asan_options.c_str(), 1);
  setenv("LD_PRELOAD", NO_IPV6_PRELOAD, 1);
  auto sigd = testing::SigdProcess::Start(SIGD_BINARY, {"--host=::"});
  unsetenv("LD_PRELOAD");
  if (asan != nullptr) {
    setenv("ASAN_OPTIONS", asan, 1);
  } else {
    unsetenv("ASAN_OPTIONS");
  }
  ASSERT_TRUE(sigd.ok()) << sigd.status();
  const std::string log = sigd->Log();
  EXPECT_THAT(log, HasSubstr("no IPv6 on this host: listening on IPv4 only"));
  EXPECT_THAT(log, HasSubstr("listening on 0.0.0.0:" + std::to_string(sigd->port())));
  auto client = testing::WsClient::Connect(sigd->port());
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->Login("four").ok());
  EXPECT_FALSE(testing::WsClient::ConnectTo("::1", sigd->port()).ok());
  EXPECT_TRUE((*client)->Close().ok());
  sigd->Signal(SIGTERM);
  EXPECT_TRUE(sigd->Wait(testing::kWait).ok());
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

class ForwardedTest : public testing::ServerTest {
 protected:
  void Start(std::vector<std::string> trusted) {
    trusted_proxies_ = std::move(trusted);
    limits_.max_connections_per_ip = 1;
    StartServer();
  }
  absl::StatusOr<std::unique_ptr<testing::WsClient>> Via(std::string header, std::string value) {
    return testing::WsClient::ConnectTo("127.0.0.1", server_->port(), "/", 0, {{header, value}});
  }
};

TEST_F(ForwardedTest, ATrustedProxyNamesTheClient) {
  Start({"127.0.0.0/8"});
  auto a = Via("X-Forwarded-For", "198.51.100.1, 198.51.100.9");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->Login("a").ok());
  EXPECT_EQ(RemoteAddressOf(*node_, "a"), "198.51.100.9");
  auto b = Via("Forwarded", R"(for="[2001:db8::7]:4711";proto=https)");
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE((*b)->Login("b").ok());
  EXPECT_EQ(RemoteAddressOf(*node_, "b"), "[2001:db8::7]:4711");
  // max_connections_per_ip counts the named clients, not the proxy: one each.
  auto again = Via("X-Forwarded-For", "198.51.100.9");
  EXPECT_FALSE(again.ok());
  auto health = testing::HttpRequest(server_->port(), "GET", "/metrics");
  EXPECT_THAT(health->body,
              HasSubstr(R"(sig_login_rejections_total{protocol="td",reason="max_connections_per_ip"} 1)"));
}

TEST_F(ForwardedTest, HeadersFromAnUntrustedPeerAreIgnored) {
  Start({"10.0.0.0/8"});
  auto a = Via("X-Forwarded-For", "198.51.100.9");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->Login("a").ok());
  EXPECT_THAT(RemoteAddressOf(*node_, "a"), StartsWith("127.0.0.1:"));
  // Claiming another address does not get a second connection past max_connections_per_ip.
  EXPECT_FALSE(Via("Forwarded", "for=198.51.100.10").ok());
}

// A PROXY protocol v2 header for TCP over IPv4 from 203.0.113.7:4242 to 10.0.0.1:80.
std::string ProxyHeader() {
  const unsigned char bytes[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
                                 0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C, 203,  0,    113,  7,
                                 10,   0,    0,    1,    0x10, 0x92, 0x00, 0x50};
  return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

class ProxyProtocolTest : public testing::ServerTest {
 protected:
  void Start(std::vector<std::string> trusted) {
    trusted_proxies_ = std::move(trusted);
    proxy_protocol_ = true;
    StartServer();
  }
};

TEST_F(ProxyProtocolTest, ATrustedProxysHeaderNamesTheClient) {
  Start({"127.0.0.1/32"});
  auto haproxy = testing::TcpProxy::Start(server_->port(), ProxyHeader());
  ASSERT_TRUE(haproxy.ok()) << haproxy.status();
  auto a = testing::WsClient::Connect((*haproxy)->port());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->Login("a").ok());
  EXPECT_EQ(RemoteAddressOf(*node_, "a"), "203.0.113.7:4242");
  // From the trusted proxy, a connection without the header is closed unanswered, and counted.
  EXPECT_FALSE(testing::HttpGet(server_->port(), "/health", absl::Seconds(2)).ok());
  auto scraped = testing::HttpGet((*haproxy)->port(), "/metrics");
  ASSERT_TRUE(scraped.ok());
  EXPECT_THAT(scraped->body, HasSubstr("sig_proxy_protocol_errors_total 1\n"));
}

TEST_F(ProxyProtocolTest, AnUntrustedPeerSpeaksPlainHttpAndCannotSendAHeader) {
  Start({"10.0.0.0/8"});
  auto plain = testing::WsClient::Connect(server_->port());
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_TRUE((*plain)->Login("plain").ok());
  EXPECT_THAT(RemoteAddressOf(*node_, "plain"), StartsWith("127.0.0.1:"));
  auto spoofer = testing::TcpProxy::Start(server_->port(), ProxyHeader());
  ASSERT_TRUE(spoofer.ok()) << spoofer.status();
  EXPECT_FALSE(testing::WsClient::Connect((*spoofer)->port()).ok());
}

}  // namespace
}  // namespace sig
