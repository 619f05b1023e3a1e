#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/limits.h"
#include "edge/server.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/ws_client.h"

namespace sig::testing {

// Fixture base: a whole sigd edge in-process on 127.0.0.1 and a free port, with two I/O threads
// so cross-thread delivery is exercised (threads_ = 1 puts every peer on one thread, where
// delivery takes the same-thread path), and a fake clock. Set limits_, peerjs_, threads_ and
// allowed_origins_ before StartServer(). Timers that read the clock run every few milliseconds of real time, so
// advancing the fake clock takes effect promptly.
class ServerTest : public ::testing::Test {
 protected:
  void StartServer() {
    edge::Server::Options options;
    options.host = host_;
    options.metrics = metrics_;
    auto trusted = edge::TrustedProxies::Parse(trusted_proxies_);
    ASSERT_TRUE(trusted.ok()) << trusted.status();
    options.trusted_proxies = *std::move(trusted);
    options.proxy_protocol = proxy_protocol_;
    options.port = 0;
    options.threads = threads_;
    options.peerjs = peerjs_;
    options.allowed_origins = allowed_origins_;
    options.tls_cert_file = tls_cert_file_;
    options.tls_key_file = tls_key_file_;
    options.hold_sweep_interval = absl::Milliseconds(10);
    options.verifier = verifier_;
    options.turn = turn_;
    options.turn_public = turn_public_;
    node_ = std::make_unique<core::Node>(limits_, clock_);
    server_ = std::make_unique<edge::Server>(options, *node_);
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::unique_ptr<WsClient> Connect(std::string_view target = "/") {
    auto client = WsClient::Connect(server_->port(), target);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }
  // Connects and logs in, checking login_success.
  std::unique_ptr<WsClient> LoggedIn(std::string_view name, std::string_view room = {}) {
    auto client = Connect();
    if (!client) return nullptr;
    auto reply = client->Login(name, room);
    EXPECT_TRUE(reply.ok()) << name << ": " << reply.status();
    return reply.ok() ? std::move(client) : nullptr;
  }

  // Pings and expects the pong to be the very next message: proof that nothing else (a stray
  // notification, a leaked broadcast) was queued for `client` before it.
  static void ExpectPongNext(WsClient& client) {
    ASSERT_TRUE(client.Send(R"({"type":"ping"})").ok());
    auto next = client.ReadJson();
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(Str(*next, "type"), "pong");
  }

  // Opens a PeerJS WebSocket with the given query ("key=peerjs&id=a&token=t").
  std::unique_ptr<WsClient> ConnectPeerJs(std::string_view query) {
    return Connect("/peerjs/peerjs?" + std::string(query));
  }
  // Opens a PeerJS WebSocket and expects OPEN.
  std::unique_ptr<WsClient> OpenPeerJs(std::string_view id, std::string_view token = "tok") {
    auto client = ConnectPeerJs("key=peerjs&id=" + std::string(id) + "&token=" +
                                std::string(token) + "&version=1.5.5");
    if (!client) return nullptr;
    auto open = client->Read();
    EXPECT_TRUE(open.ok()) << open.status();
    EXPECT_EQ(open.value_or(""), R"({"type":"OPEN"})");
    return client;
  }

  core::Limits limits_;
  std::string host_ = "127.0.0.1";
  std::optional<edge::HostPort> metrics_;
  std::vector<std::string> trusted_proxies_;
  bool proxy_protocol_ = false;
  edge::PeerJsOptions peerjs_;
  const auth::TokenVerifier* verifier_ = nullptr;  // null: auth off
  const auth::TurnIssuer* turn_ = nullptr;         // null: TURN off
  bool turn_public_ = false;
  unsigned threads_ = 2;
  std::vector<std::string> allowed_origins_;
  std::string tls_cert_file_;  // with tls_key_file_: the server speaks only TLS
  std::string tls_key_file_;
  FakeClock clock_;
  std::unique_ptr<core::Node> node_;  // what main builds: the server and the admin borrow it
  std::unique_ptr<edge::Server> server_;
};

}  // namespace sig::testing
