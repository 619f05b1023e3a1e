#include "edge/td_protocol.h"

#include <memory>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/fake_connection.h"
#include "testing/fake_peer.h"

namespace sig::edge {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using testing::FakeConnection;

class TdProtocolTest : public ::testing::Test {
 protected:
  struct Client {
    std::shared_ptr<FakeConnection> conn;
    std::unique_ptr<TdProtocol> protocol;
  };
  Client Make() {
    Client c;
    c.conn = std::make_shared<FakeConnection>(next_id_++);
    c.conn->self = c.conn;
    c.protocol = std::make_unique<TdProtocol>(*c.conn, state_);
    c.conn->protocol = c.protocol.get();
    return c;
  }
  Client LoggedIn(std::string_view name) {
    Client c = Make();
    c.protocol->OnText(R"({"type":"login","name":")" + std::string(name) + "\"}");
    EXPECT_EQ(c.conn->LastType(), "login_success");
    return c;
  }

  core::Limits limits_;
  testing::FakeClock clock_;
  core::Node node_{limits_, clock_};
  EdgeContext state_{node_};
  std::uint64_t next_id_ = 1;
};

TEST_F(TdProtocolTest, PongCarriesTheClockInMilliseconds) {
  Client a = LoggedIn("a");
  a.protocol->OnText(R"({"type":"ping"})");
  EXPECT_EQ(a.conn->sent.back(), R"({"type":"pong","timestamp":1700000000000})");
}

TEST_F(TdProtocolTest, NameTakenSendsErrorThenCloses4000) {
  Client a = LoggedIn("a");
  Client b = Make();
  b.protocol->OnText(R"({"type":"login","name":"a"})");
  EXPECT_EQ(b.conn->LastError(), "name_taken");
  EXPECT_THAT(b.conn->closes, ElementsAre(4000));
}

TEST_F(TdProtocolTest, InvalidNameCloses4001) {
  Client b = Make();
  b.protocol->OnText(R"({"type":"login","name":""})");
  EXPECT_EQ(b.conn->LastError(), "invalid_name");
  EXPECT_THAT(b.conn->closes, ElementsAre(4001));
}

TEST_F(TdProtocolTest, RelayAndTargetNotFound) {
  Client a = LoggedIn("a");
  Client b = LoggedIn("b");
  a.protocol->OnText(R"({"type":"offer","target":"b","sdp":"x"})");
  EXPECT_EQ(b.conn->sent.back(), R"({"type":"offer","target":"b","sdp":"x","from":"a"})");
  a.protocol->OnText(R"({"type":"offer","target":"zed"})");
  EXPECT_EQ(a.conn->sent.back(),
            R"({"type":"error","error":"target_not_found","target":"zed","message":"no peer with that name"})");
}

TEST_F(TdProtocolTest, BadFramesAreAnsweredThenCloseAtTheBudget) {
  Client a = LoggedIn("a");
  for (std::uint32_t i = 0; i < limits_.bad_frame_burst; ++i) {
    a.protocol->OnText("nope");
    EXPECT_EQ(a.conn->LastError(), "invalid_json");
  }
  EXPECT_THAT(a.conn->closes, IsEmpty());
  a.protocol->OnText("nope");
  EXPECT_THAT(a.conn->closes, ElementsAre(1008));
}

TEST_F(TdProtocolTest, BadFrameBudgetRefillsWithTime) {
  Client a = LoggedIn("a");
  for (std::uint32_t i = 0; i < limits_.bad_frame_burst; ++i) a.protocol->OnText("nope");
  clock_.Advance(limits_.bad_frame_refill);
  a.protocol->OnText("nope");
  EXPECT_THAT(a.conn->closes, IsEmpty());
  a.protocol->OnText("nope");
  EXPECT_THAT(a.conn->closes, ElementsAre(1008));
}

TEST_F(TdProtocolTest, CloseLeavesAndAnnounces) {
  Client a = LoggedIn("a");
  Client b = LoggedIn("b");
  EXPECT_EQ(a.conn->sent.back(), R"({"type":"peer_connected","peer":"b"})");
  b.protocol->OnClose(core::LeaveNotice::kEveryone);
  EXPECT_EQ(a.conn->sent.back(), R"({"type":"peer_disconnected","peer":"b"})");
  EXPECT_EQ(state_.node.directory->size(), 1u);
}

}  // namespace
}  // namespace sig::edge
