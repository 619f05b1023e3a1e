#include "edge/peerjs_protocol.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/fake_connection.h"

namespace sig::edge {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing::FakeConnection;

constexpr std::uint16_t kNoStatus = 1005;

class PeerJsProtocolTest : public ::testing::Test {
 protected:
  struct Client {
    std::shared_ptr<FakeConnection> conn;
    std::unique_ptr<PeerJsProtocol> protocol;
  };
  // A connection whose upgrade asked for `query`, opened.
  Client Open(const std::string& query) {
    Client c;
    c.conn = std::make_shared<FakeConnection>(next_id_++);
    c.conn->self = c.conn;
    c.protocol = std::make_unique<PeerJsProtocol>(*c.conn, state_, "/peerjs/peerjs?" + query);
    c.conn->protocol = c.protocol.get();
    c.protocol->OnOpen();
    return c;
  }
  Client Opened(const std::string& id) {
    Client c = Open("key=peerjs&id=" + id + "&token=t");
    EXPECT_THAT(c.conn->sent, ElementsAre(R"({"type":"OPEN"})")) << id;
    c.conn->sent.clear();
    return c;
  }

  core::Limits limits_;
  testing::FakeClock clock_;
  core::Node node_{limits_, clock_};
  EdgeContext state_{node_};
  std::uint64_t next_id_ = 1;
};

TEST_F(PeerJsProtocolTest, RefusalsSendTheReferencesFrameAndCloseWithoutACode) {
  const std::pair<std::string, std::string> cases[] = {
      {"key=peerjs&id=a", "No id, token, or key supplied to websocket server"},
      {"key=nope&id=a&token=t", "Invalid key provided"},
      {"key=peerjs&id=%FF&token=t", "Invalid id provided"},
      {"key=peerjs&id=a&token=%01", "Invalid token provided"},
  };
  for (const auto& [query, message] : cases) {
    Client c = Open(query);
    EXPECT_THAT(c.conn->sent,
                ElementsAre(R"({"type":"ERROR","payload":{"msg":")" + message + "\"}}"))
        << query;
    EXPECT_THAT(c.conn->closes, ElementsAre(kNoStatus)) << query;
  }
  EXPECT_EQ(state_.node.directory->size(), 0u);
}

TEST_F(PeerJsProtocolTest, RelaySetsSrcAndHoldsForAnAbsentPeer) {
  Client a = Opened("a");
  Client b = Opened("b");
  a.protocol->OnText(R"({"type":"OFFER","src":"forged","dst":"b","payload":{"sdp":"x"}})");
  EXPECT_THAT(b.conn->sent,
              ElementsAre(R"({"type":"OFFER","src":"a","dst":"b","payload":{"sdp":"x"}})"));
  a.protocol->OnText(R"({"type":"CANDIDATE","dst":"later","payload":1})");
  EXPECT_EQ(state_.node.holds.held_frames(), 1u);
  // The fake takes the held frame as the router hands it over, during the join; the real
  // session posts it behind OPEN (integration: MessagesForAnAbsentPeerAreDeliveredRightAfterItsOpen).
  Client later = Open("key=peerjs&id=later&token=t");
  EXPECT_THAT(later.conn->sent,
              UnorderedElementsAre(R"({"type":"OPEN"})",
                                   R"({"type":"CANDIDATE","src":"a","dst":"later","payload":1})"));
}

TEST_F(PeerJsProtocolTest, OnlyHeartbeatKeepsAPeerAliveAtTheTimeoutsEdge) {
  Client a = Opened("a");
  clock_.Advance(limits_.peerjs_alive_timeout - absl::Milliseconds(1));
  a.protocol->OnText(R"({"type":"HEARTBEAT"})");
  clock_.Advance(limits_.peerjs_alive_timeout - absl::Milliseconds(1));
  a.protocol->OnTick();
  EXPECT_THAT(a.conn->closes, IsEmpty());
  a.protocol->OnText(R"({"type":"OFFER","dst":"a","payload":1})");  // not a heartbeat
  clock_.Advance(absl::Milliseconds(1));
  a.protocol->OnTick();
  EXPECT_THAT(a.conn->closes, ElementsAre(kNoStatus));
}

TEST_F(PeerJsProtocolTest, CloseLeavesTheRouterAndDropsTheSendersHolds) {
  Client a = Opened("a");
  a.protocol->OnText(R"({"type":"OFFER","dst":"absent","payload":1})");
  ASSERT_EQ(state_.node.holds.held_frames(), 1u);
  a.protocol->OnClose(core::LeaveNotice::kEveryone);
  EXPECT_EQ(state_.node.directory->size(), 0u);
  EXPECT_EQ(state_.node.holds.held_frames(), 0u);
}

}  // namespace
}  // namespace sig::edge
