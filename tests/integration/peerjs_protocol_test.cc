// The PeerJS WebSocket protocol over real loopback sockets, against the behaviour documented for
// peerjs-server 1.0.2 (docs: PeerJS protocol, sections 4, 5 and 7).

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/labels.h"
#include "testing/eventually.h"
#include "testing/test_server.h"

namespace sig {
namespace {

class PeerJsProtocolTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    limits_.peerjs_concurrent_limit = 4;
    limits_.peerjs_alive_timeout = absl::Seconds(90);
    limits_.held_max_frames_per_target = 4;
    StartServer();
  }

  // Expects exactly `frame`, then the server's close without a status code (seen as 1005).
  void ExpectRefused(std::string_view query, std::string_view frame) {
    auto c = ConnectPeerJs(query);
    ASSERT_TRUE(c);
    auto got = c->Read();
    ASSERT_TRUE(got.ok()) << query << ": " << got.status();
    EXPECT_EQ(*got, frame) << query;
    auto code = c->WaitClose();
    ASSERT_TRUE(code.ok()) << query;
    EXPECT_EQ(*code, 1005) << query;
  }
};

constexpr std::string_view kNoParams =
    R"({"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}})";

TEST_F(PeerJsProtocolTest, HandshakeRowsOneAndTwo) {
  ExpectRefused("key=peerjs&token=t", kNoParams);
  ExpectRefused("key=peerjs&id=a", kNoParams);
  ExpectRefused("id=a&token=t", kNoParams);
  ExpectRefused("key=peerjs&id=&token=t", kNoParams);
  ExpectRefused("", kNoParams);
  ExpectRefused("key=nope&id=a&token=t",
                R"({"type":"ERROR","payload":{"msg":"Invalid key provided"}})");
}

constexpr std::string_view kInvalidId = R"({"type":"ERROR","payload":{"msg":"Invalid id provided"}})";
constexpr std::string_view kInvalidToken =
    R"({"type":"ERROR","payload":{"msg":"Invalid token provided"}})";

// Bytes that are not UTF-8 in an id would reach every frame its holder sends (src) and the peer
// list; control, format and non-NFC ids could imitate another peer's. Each is refused before it
// registers, counted, and the peers already there keep working.
TEST_F(PeerJsProtocolTest, IdsAndTokensThatAreNotPrintableUtf8AreRefused) {
  auto bob = OpenPeerJs("bob");
  ASSERT_TRUE(bob);
  ExpectRefused("key=peerjs&id=%FF%FE&token=t", kInvalidId);        // not UTF-8
  ExpectRefused("key=peerjs&id=a%C0%AF&token=t", kInvalidId);       // overlong '/'
  ExpectRefused("key=peerjs&id=a%0Ab&token=t", kInvalidId);         // control character
  ExpectRefused("key=peerjs&id=bo%E2%80%8Bb&token=t", kInvalidId);  // zero width space
  ExpectRefused("key=peerjs&id=%E2%80%AEbob&token=t", kInvalidId);  // right-to-left override
  ExpectRefused("key=peerjs&id=e%CC%81&token=t", kInvalidId);       // e + combining acute: not NFC
  ExpectRefused("key=peerjs&id=" + std::string(65, 'x') + "&token=t", kInvalidId);
  ExpectRefused("key=peerjs&id=carol&token=%FF", kInvalidToken);
  ExpectRefused("key=peerjs&id=carol&token=a%00", kInvalidToken);
  auto& stats = server_->state().stats;
  const std::size_t peerjs = core::ProtocolIndex(sig::v1::PROTOCOL_PEERJS);
  EXPECT_EQ(stats.rejections(peerjs, testing::LabelIndex(core::Stats::kRejections, "invalid_id")), 7u);
  EXPECT_EQ(stats.rejections(peerjs, testing::LabelIndex(core::Stats::kRejections, "invalid_token")),
            2u);
  // A precomposed é (NFC) is a fine id, and bob still relays.
  auto accented = OpenPeerJs("%C3%A9");
  ASSERT_TRUE(accented);
  ASSERT_TRUE(bob->Send("{\"type\":\"OFFER\",\"dst\":\"\xC3\xA9\",\"payload\":1}").ok());
  auto got = accented->Read();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "{\"type\":\"OFFER\",\"src\":\"bob\",\"dst\":\"\xC3\xA9\",\"payload\":1}");
}

TEST_F(PeerJsProtocolTest, IdTakenWithAnotherTokenAndConcurrentLimit) {
  auto a = OpenPeerJs("a", "tokA");
  ASSERT_TRUE(a);
  ExpectRefused("key=peerjs&id=a&token=OTHER",
                R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})");
  auto b = OpenPeerJs("b");
  auto c = OpenPeerJs("c");
  auto d = OpenPeerJs("d");
  ASSERT_TRUE(b && c && d);
  ExpectRefused("key=peerjs&id=e&token=t",
                R"({"type":"ERROR","payload":{"msg":"Server has reached its concurrent user limit"}})");
}

TEST_F(PeerJsProtocolTest, SameTokenReconnectGetsOpenAndTheOldSocketIsClosed) {
  auto old_socket = OpenPeerJs("alice", "tokA");
  auto bob = OpenPeerJs("bob");
  ASSERT_TRUE(old_socket && bob);
  auto fresh = OpenPeerJs("alice", "tokA");  // OPEN checked inside
  ASSERT_TRUE(fresh);
  auto code = old_socket->WaitClose();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1000);
  // Traffic for alice now reaches the new socket.
  ASSERT_TRUE(bob->Send(R"({"type":"OFFER","dst":"alice","payload":{"n":1}})").ok());
  auto got = fresh->Read();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, R"({"type":"OFFER","src":"bob","dst":"alice","payload":{"n":1}})");
}

TEST_F(PeerJsProtocolTest, QueryIsDecodedAsBrowsersEncodeIt) {
  auto sender = OpenPeerJs("sender");
  auto spaced = ConnectPeerJs("key=peerjs&id=a%20b&token=t");
  auto plus = ConnectPeerJs("key=peerjs&id=x+y&token=t");
  auto dup = ConnectPeerJs("key=peerjs&id=dup&id=dup2&token=t");
  ASSERT_TRUE(sender && spaced && plus && dup);
  for (auto* c : {spaced.get(), plus.get(), dup.get()}) {
    auto open = c->Read();
    ASSERT_TRUE(open.ok());
    EXPECT_EQ(*open, R"({"type":"OPEN"})");
  }
  const std::pair<testing::WsClient*, const char*> targets[] = {
      {spaced.get(), "a b"}, {plus.get(), "x y"}, {dup.get(), "dup2"}};
  for (const auto& [client, id] : targets) {
    ASSERT_TRUE(sender->Send(absl::StrCat(R"({"type":"CANDIDATE","dst":")", id, R"("})")).ok());
    auto got = client->Read();
    ASSERT_TRUE(got.ok()) << id;
    EXPECT_EQ(*got, absl::StrCat(R"({"type":"CANDIDATE","src":"sender","dst":")", id, R"("})"));
  }
}

TEST_F(PeerJsProtocolTest, RelayRewritesSrcKeepsPayloadAndDropsExtraFields) {
  auto a = OpenPeerJs("alice");
  auto b = OpenPeerJs("bob");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Send(R"({"type":"OFFER","src":"mallory","dst":"bob","payload":{"sdp":{"type":"offer","sdp":"v=0\r\n"},"type":"data","connectionId":"dc_1","n":1.50},"extra":42})").ok());
  auto got = b->Read();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, R"({"type":"OFFER","src":"alice","dst":"bob","payload":{"sdp":{"type":"offer","sdp":"v=0\r\n"},"type":"data","connectionId":"dc_1","n":1.50}})");
  for (const char* type : {"ANSWER", "CANDIDATE", "LEAVE", "EXPIRE"}) {
    ASSERT_TRUE(a->Send(absl::StrCat(R"({"type":")", type, R"(","dst":"bob","payload":1})")).ok());
    got = b->Read();
    ASSERT_TRUE(got.ok()) << type;
    EXPECT_EQ(*got, absl::StrCat(R"({"type":")", type, R"(","src":"alice","dst":"bob","payload":1})"));
  }
  // Unknown types are dropped; sending to yourself works.
  ASSERT_TRUE(a->Send(R"({"type":"FOO","dst":"bob","payload":1})").ok());
  ASSERT_TRUE(a->Send(R"({"type":"OFFER","dst":"alice","payload":{"self":true}})").ok());
  got = a->Read();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, R"({"type":"OFFER","src":"alice","dst":"alice","payload":{"self":true}})");
}

TEST_F(PeerJsProtocolTest, InvalidJsonNeverStopsASocketFromBeingRead) {
  auto a = OpenPeerJs("alice");
  auto b = OpenPeerJs("bob");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Send("{this is not json").ok());
  ASSERT_TRUE(a->Send(R"({"type":"OFFER","dst":"bob","payload":2})").ok());
  auto got = b->Read();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, R"({"type":"OFFER","src":"alice","dst":"bob","payload":2})");
}

TEST_F(PeerJsProtocolTest, LeaveWithoutDstLeavesNoHalfRegisteredPeer) {
  auto a = OpenPeerJs("alice", "tokA");
  auto b = OpenPeerJs("bob");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Send(R"({"type":"LEAVE"})").ok());
  // alice is still alice: her id stays taken and traffic still reaches her.
  ExpectRefused("key=peerjs&id=alice&token=OTHER",
                R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})");
  ASSERT_TRUE(b->Send(R"({"type":"ANSWER","dst":"alice"})").ok());
  auto got = a->Read();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, R"({"type":"ANSWER","src":"bob","dst":"alice"})");
}

TEST_F(PeerJsProtocolTest, MessagesForAnAbsentPeerAreDeliveredRightAfterItsOpen) {
  auto a = OpenPeerJs("alice");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Send(R"({"type":"OFFER","dst":"carol","payload":{"connectionId":"q1"}})").ok());
  ASSERT_TRUE(a->Send(R"({"type":"CANDIDATE","dst":"carol","payload":{"c":1}})").ok());
  // Make sure both were processed before carol connects: a round trip through alice's session.
  ASSERT_TRUE(a->Send(R"({"type":"OFFER","dst":"alice"})").ok());
  ASSERT_TRUE(a->Read().ok());
  auto carol = OpenPeerJs("carol");  // OPEN first
  ASSERT_TRUE(carol);
  auto offer = carol->Read();
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(*offer, R"({"type":"OFFER","src":"alice","dst":"carol","payload":{"connectionId":"q1"}})");
  auto candidate = carol->Read();
  ASSERT_TRUE(candidate.ok());
  EXPECT_EQ(*candidate, R"({"type":"CANDIDATE","src":"alice","dst":"carol","payload":{"c":1}})");
}

TEST_F(PeerJsProtocolTest, AbsentPeerYieldsOneExpirePerSenderAfterTheTimeout) {
  auto a = OpenPeerJs("alice");
  auto b = OpenPeerJs("bob");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Send(R"({"type":"OFFER","dst":"ghost"})").ok());
  ASSERT_TRUE(a->Send(R"({"type":"CANDIDATE","dst":"ghost"})").ok());
  ASSERT_TRUE(b->Send(R"({"type":"OFFER","dst":"ghost"})").ok());
  // LEAVE and EXPIRE to an absent peer are dropped, not held.
  ASSERT_TRUE(a->Send(R"({"type":"LEAVE","dst":"ghost"})").ok());
  for (auto* c : {a.get(), b.get()}) {  // round trips: everything above is processed
    ASSERT_TRUE(c->Send(R"({"type":"HEARTBEAT"})").ok());
  }
  ASSERT_TRUE(a->Send(R"({"type":"OFFER","dst":"alice"})").ok());
  ASSERT_TRUE(a->Read().ok());
  ASSERT_TRUE(b->Send(R"({"type":"OFFER","dst":"bob"})").ok());
  ASSERT_TRUE(b->Read().ok());
  // Nothing before the timeout.
  clock_.Advance(limits_.peerjs_expire_timeout - absl::Milliseconds(1));
  EXPECT_TRUE(absl::IsDeadlineExceeded(a->Read(absl::Milliseconds(100)).status()));
  clock_.Advance(absl::Milliseconds(1));
  auto expire_a = a->Read();
  ASSERT_TRUE(expire_a.ok()) << expire_a.status();
  EXPECT_EQ(*expire_a, R"({"type":"EXPIRE","src":"ghost","dst":"alice"})");
  auto expire_b = b->Read();
  ASSERT_TRUE(expire_b.ok());
  EXPECT_EQ(*expire_b, R"({"type":"EXPIRE","src":"ghost","dst":"bob"})");
  // Once only.
  clock_.Advance(absl::Seconds(30));
  EXPECT_TRUE(absl::IsDeadlineExceeded(a->Read(absl::Milliseconds(100)).status()));
}

TEST_F(PeerJsProtocolTest, HeldMessagesPastTheBoundGetAnImmediateExpire) {
  auto a = OpenPeerJs("alice");
  ASSERT_TRUE(a);
  for (std::size_t i = 0; i < limits_.held_max_frames_per_target; ++i) {
    ASSERT_TRUE(a->Send(R"({"type":"CANDIDATE","dst":"ghost"})").ok());
  }
  ASSERT_TRUE(a->Send(R"({"type":"CANDIDATE","dst":"ghost"})").ok());
  auto got = a->Read();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, R"({"type":"EXPIRE","src":"ghost","dst":"alice"})");
}

// One connection that reconnects under new ids, holding frames each time, leaves nothing held:
// a sender's holds go when it leaves. And the bytes one sender may hold are bounded: past
// them it gets EXPIRE at once.
TEST_F(PeerJsProtocolTest, HoldsGoWithTheirSenderAndAreBoundedInBytes) {
  const core::HoldStore& holds = server_->state().node.holds;
  for (int round = 0; round < 5; ++round) {
    auto sender = OpenPeerJs("sender" + std::to_string(round));
    ASSERT_TRUE(sender);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(sender->Send(R"({"type":"CANDIDATE","dst":"ghost)" + std::to_string(i) + "\"}").ok());
    }
    ASSERT_TRUE(testing::Eventually([&] { return holds.held_frames() == 3; })) << round;
    ASSERT_TRUE(sender->Close().ok());
    ASSERT_TRUE(testing::Eventually([&] { return holds.held_frames() == 0; })) << round;
  }
  EXPECT_EQ(holds.held_bytes(), 0u);
}

class PeerJsHoldBytesTest : public PeerJsProtocolTest {
 protected:
  void SetUp() override {
    limits_.held_max_bytes_per_sender = 200;
    StartServer();
  }
};

TEST_F(PeerJsHoldBytesTest, HeldBytesPerSenderAreBoundedAtTheEdge) {
  auto a = OpenPeerJs("alice");
  ASSERT_TRUE(a);
  // Held frames are counted as relayed: {"type":"OFFER","src":"alice","dst":"g","payload":"..."}
  const std::string head = R"({"type":"OFFER","dst":"g","payload":")";
  const std::size_t relayed_overhead =
      std::string(R"({"type":"OFFER","src":"alice","dst":"g","payload":""})").size();
  const std::string fill(200 - relayed_overhead, 'p');
  ASSERT_TRUE(a->Send(head + fill + "\"}").ok());  // exactly 200 bytes held
  ASSERT_TRUE(testing::Eventually([&] { return server_->state().node.holds.held_bytes() == 200; }));
  ASSERT_TRUE(a->Send(R"({"type":"OFFER","dst":"h","payload":""})").ok());  // one more: over
  auto got = a->Read();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, R"({"type":"EXPIRE","src":"h","dst":"alice"})");
  EXPECT_EQ(server_->state().node.holds.held_frames(), 1u);
}

// The liveness check runs every alive_timeout/8 of real time and reads the fake clock, so a
// short timeout here keeps the test fast; only the fake clock decides who is closed.
class PeerJsLivenessTest : public PeerJsProtocolTest {
 protected:
  void SetUp() override {
    limits_.peerjs_alive_timeout = absl::Milliseconds(800);
    StartServer();
  }
};

TEST_F(PeerJsLivenessTest, OnlyHeartbeatKeepsAPeerAlive) {
  auto quiet = OpenPeerJs("quiet");
  auto beating = OpenPeerJs("beating");
  ASSERT_TRUE(quiet && beating);
  clock_.Advance(limits_.peerjs_alive_timeout - absl::Milliseconds(100));
  // Other traffic does not count; a HEARTBEAT does.
  ASSERT_TRUE(quiet->Send(R"({"type":"OFFER","dst":"quiet"})").ok());
  ASSERT_TRUE(quiet->Read().ok());
  ASSERT_TRUE(beating->Send(R"({"type":"HEARTBEAT"})").ok());
  ASSERT_TRUE(beating->Send(R"({"type":"OFFER","dst":"beating"})").ok());
  ASSERT_TRUE(beating->Read().ok());  // the heartbeat was processed
  clock_.Advance(absl::Milliseconds(100));
  auto code = quiet->WaitClose();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1005);
  ASSERT_TRUE(beating->Send(R"({"type":"OFFER","dst":"beating"})").ok());
  EXPECT_TRUE(beating->Read().ok());
  // The closed peer's id is free again.
  EXPECT_TRUE(OpenPeerJs("quiet", "new-token"));
}

TEST_F(PeerJsProtocolTest, PeerJsAndTdNamesNeverCollide) {
  auto td = LoggedIn("same");
  auto pj = OpenPeerJs("same");
  EXPECT_TRUE(td && pj);
}

}  // namespace
}  // namespace sig
