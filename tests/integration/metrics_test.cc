// GET /metrics over real HTTP: the exposition passes the real `promtool check metrics`, and its
// counters move when traffic flows.

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/promtool.h"
#include "testing/test_server.h"

namespace sig {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class MetricsTest : public testing::ServerTest {
 protected:
  void SetUp() override { StartServer(); }

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

}  // namespace
}  // namespace sig
