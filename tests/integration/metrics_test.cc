// GET /metrics over real HTTP: the exposition passes the real `promtool check metrics`, and its
// counters move when traffic flows.

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/promtool.h"
#include "testing/test_server.h"

namespace sig {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class MetricsTest : public testing::ServerTest {
 protected:
  void SetUp() override { StartServer(); }

  // Waits until the exposition has `sample` (a whole line but its newline).
  bool EventuallyScraped(const std::string& sample) {
    return testing::Eventually([&] { return Scrape().find(sample + "\n") != std::string::npos; });
  }

  std::string Scrape() {
    auto reply = testing::HttpGet(server_->port(), "/metrics");
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return {};
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->content_type, "text/plain; version=0.0.4; charset=utf-8");
    return reply->body;
  }
};

TEST_F(MetricsTest, ExpositionPassesPromtool) {
  auto a = LoggedIn("a");
  ASSERT_TRUE(a->Send("not json").ok());
  ASSERT_TRUE(a->ReadJson().ok());
  const absl::Status checked = testing::PromtoolCheck(Scrape());
  EXPECT_TRUE(checked.ok()) << checked;
}

TEST_F(MetricsTest, KnownSeriesStartAtZero) {
  const std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr(R"(sig_disconnects_total{protocol="td",reason="client_close"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_disconnects_total{protocol="peerjs",reason="alive_timeout"} 0)"));
  // Series that can never move are not exported: td has no HEARTBEAT to miss, no PeerJS key to
  // get wrong; PeerJS has no names to take and no targets to refuse.
  EXPECT_THAT(text, Not(HasSubstr(R"(sig_disconnects_total{protocol="td",reason="alive_timeout"})")));
  EXPECT_THAT(text, Not(HasSubstr(R"(sig_login_rejections_total{protocol="td",reason="invalid_key"})")));
  EXPECT_THAT(text, Not(HasSubstr(R"(sig_login_rejections_total{protocol="peerjs",reason="name_taken"})")));
  EXPECT_THAT(text, Not(HasSubstr(R"(sig_bad_frames_total{protocol="peerjs",reason="invalid_target"})")));
  EXPECT_THAT(text, HasSubstr(R"(sig_login_rejections_total{protocol="peerjs",reason="id_taken"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_login_rejections_total{protocol="td",reason="origin"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_bad_frames_total{protocol="td",reason="invalid_target"} 0)"));
  EXPECT_THAT(text, HasSubstr("sig_rooms 0\n"));
  EXPECT_THAT(text, HasSubstr("process_max_fds "));
  EXPECT_THAT(text, ::testing::ContainsRegex("process_start_time_seconds [0-9.e+]+\n"));
  // Plain HTTP: there is no TLS handshake to fail.
  EXPECT_THAT(text, Not(HasSubstr("sig_tls_handshake_failures_total")));
  EXPECT_THAT(text, HasSubstr(R"(sig_logins_total{protocol="td"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_bad_frames_total{protocol="peerjs",reason="invalid_json"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_closes_total{code="1013"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_build_info{version=")"));
  EXPECT_THAT(text, HasSubstr("process_open_fds "));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
}

TEST_F(MetricsTest, CountersMoveWithTrafficAndNoPeerNameIsALabel) {
  auto a = LoggedIn("alice-secret-name");
  auto b = LoggedIn("bob");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Send(R"({"type":"offer","target":"bob"})").ok());
  ASSERT_TRUE(b->ReadType("offer").ok());
  // b's session writes one frame at a time, so its pong arriving proves the offer's write
  // completed and was counted.
  ExpectPongNext(*b);
  ASSERT_TRUE(a->Send(R"({"type":"offer","target":"nobody"})").ok());
  ASSERT_TRUE(a->ReadType("error").ok());
  ASSERT_TRUE(a->Send("not json").ok());
  ASSERT_TRUE(a->ReadType("error").ok());
  auto taken = Connect();
  ASSERT_TRUE(taken->Send(R"({"type":"login","name":"bob"})").ok());
  ASSERT_TRUE(taken->WaitClose().ok());
  auto pj = OpenPeerJs("pj");
  ASSERT_TRUE(pj->Send(R"({"type":"HEARTBEAT"})").ok());
  auto refused = ConnectPeerJs("key=wrong&id=x&token=t");
  ASSERT_TRUE(refused->WaitClose().ok());
  // A round trip through pj's session so its HEARTBEAT is counted before the scrape.
  ASSERT_TRUE(pj->Send(R"({"type":"OFFER","dst":"pj"})").ok());
  ASSERT_TRUE(pj->Read().ok());

  const std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr(R"(sig_logins_total{protocol="td"} 2)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_logins_total{protocol="peerjs"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_peers{protocol="td"} 2)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_frames_received_total{protocol="td",type="offer"} 2)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_frames_received_total{protocol="td",type="invalid"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_frames_received_total{protocol="peerjs",type="heartbeat"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_bad_frames_total{protocol="td",reason="invalid_json"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_relay_failures_total{reason="target_not_found"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_login_rejections_total{protocol="td",reason="name_taken"} 1)"));
  EXPECT_THAT(text,
              HasSubstr(R"(sig_login_rejections_total{protocol="peerjs",reason="invalid_key"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_closes_total{code="4000"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_closes_total{code="1005"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_frames_sent_total{protocol="td",type="offer"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_frames_sent_total{protocol="peerjs",type="open"} 1)"));
  // b's offer for certain; pj's OFFER to itself may not have finished its write yet.
  EXPECT_THAT(text, ::testing::ContainsRegex("sig_relay_latency_seconds_count [12]\n"));
  EXPECT_THAT(text, Not(HasSubstr("alice-secret-name")));
}

// Timeouts short enough to fire within a test.
class DisconnectMetricsTest : public MetricsTest {
 protected:
  void SetUp() override {
    limits_.ping_interval = absl::Milliseconds(100);
    limits_.peerjs_alive_timeout = absl::Milliseconds(200);
    StartServer();
  }
};

// Each way a connection ends is counted once under its first cause.
TEST_F(DisconnectMetricsTest, DisconnectsAreCountedByTheirCause) {
  auto closer = LoggedIn("closer");
  ASSERT_TRUE(closer->Close().ok());
  auto lost = LoggedIn("lost");
  lost->Abort();
  auto refused = Connect();
  ASSERT_TRUE(refused->Send(R"({"type":"login","name":""})").ok());
  ASSERT_TRUE(refused->WaitClose().ok());
  auto binary = LoggedIn("binary");
  ASSERT_TRUE(binary->SendBinary("x").ok());
  ASSERT_TRUE(binary->WaitClose().ok());
  // Never reads, so never answers the server's ping: dropped after two ping periods.
  auto silent = LoggedIn("silent");
  EXPECT_TRUE(EventuallyScraped(R"(sig_disconnects_total{protocol="td",reason="ping_timeout"} 1)"));
  auto pj = OpenPeerJs("pj");
  ASSERT_TRUE(pj);
  clock_.Advance(absl::Seconds(1));  // past alive_timeout with no HEARTBEAT
  ASSERT_TRUE(pj->WaitClose().ok());

  EXPECT_TRUE(EventuallyScraped(R"(sig_disconnects_total{protocol="peerjs",reason="alive_timeout"} 1)"));
  EXPECT_TRUE(EventuallyScraped(R"(sig_disconnects_total{protocol="td",reason="client_close"} 1)"));
  EXPECT_TRUE(EventuallyScraped(R"(sig_disconnects_total{protocol="td",reason="connection_lost"} 1)"));
  EXPECT_TRUE(EventuallyScraped(R"(sig_disconnects_total{protocol="td",reason="login_refused"} 1)"));
  EXPECT_TRUE(EventuallyScraped(R"(sig_disconnects_total{protocol="td",reason="protocol_error"} 1)"));
  EXPECT_TRUE(EventuallyScraped("sig_rooms 0"));
  const std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr(R"(sig_disconnects_total{protocol="td",reason="kicked"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(sig_disconnects_total{protocol="peerjs",reason="login_refused"} 0)"));
}

// What remains when a drain's grace runs out is closed for the drain.
TEST_F(MetricsTest, ConnectionsClosedAtTheEndOfADrainAreCountedAsDrained) {
  auto drained = LoggedIn("drained");
  auto pj2 = OpenPeerJs("pj2");
  EXPECT_TRUE(EventuallyScraped("sig_rooms 2"));  // td's default room and PeerJS's key
  ASSERT_TRUE(server_->state().lifecycle.Drain(absl::Milliseconds(1)).ok());
  EXPECT_EQ(drained->WaitClose().value_or(0), 1012);
  EXPECT_EQ(pj2->WaitClose().value_or(0), 1012);
  EXPECT_TRUE(EventuallyScraped(R"(sig_disconnects_total{protocol="td",reason="drain"} 1)"));
  EXPECT_TRUE(EventuallyScraped(R"(sig_disconnects_total{protocol="peerjs",reason="drain"} 1)"));
}

}  // namespace
}  // namespace sig
