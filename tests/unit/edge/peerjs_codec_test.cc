#include "edge/peerjs_codec.h"

#include "gtest/gtest.h"

namespace sig::edge {
namespace {

using Kind = PeerJsCommand::Kind;

class PeerJsCodecTest : public ::testing::Test {
 protected:
  PeerJsCommand Decode(std::string_view text) { return codec_.Decode(text, "alice"); }
  core::Limits limits_;
  PeerJsCodec codec_{limits_};
};

TEST_F(PeerJsCodecTest, RelayIsRebuiltWithServerSrcAndVerbatimPayload) {
  PeerJsCommand c = Decode(
      R"({"type":"OFFER","src":"mallory","extra":42,"payload":{"sdp":{"type":"offer","sdp":"v=0\r\n"},"n":1.50,"connectionId":"dc_1"},"dst":"bob"})");
  ASSERT_EQ(c.kind, Kind::kRelay);
  EXPECT_EQ(c.dst, "bob");
  EXPECT_TRUE(c.hold);
  EXPECT_EQ(c.frame,
            R"({"type":"OFFER","src":"alice","dst":"bob","payload":{"sdp":{"type":"offer","sdp":"v=0\r\n"},"n":1.50,"connectionId":"dc_1"}})");
}

TEST_F(PeerJsCodecTest, PayloadIsOmittedWhenAbsent) {
  PeerJsCommand c = Decode(R"({"type":"LEAVE","dst":"bob"})");
  ASSERT_EQ(c.kind, Kind::kRelay);
  EXPECT_FALSE(c.hold);
  EXPECT_EQ(c.frame, R"({"type":"LEAVE","src":"alice","dst":"bob"})");
}

TEST_F(PeerJsCodecTest, OnlyOfferAnswerCandidateAreHeld) {
  for (const char* type : {"OFFER", "ANSWER", "CANDIDATE"}) {
    EXPECT_TRUE(Decode(std::string(R"({"type":")") + type + R"(","dst":"b"})").hold) << type;
  }
  for (const char* type : {"LEAVE", "EXPIRE"}) {
    PeerJsCommand c = Decode(std::string(R"({"type":")") + type + R"(","dst":"b"})");
    EXPECT_EQ(c.kind, Kind::kRelay) << type;
    EXPECT_FALSE(c.hold) << type;
  }
}

TEST_F(PeerJsCodecTest, HeartbeatUnknownAndDstlessFrames) {
  EXPECT_EQ(Decode(R"({"type":"HEARTBEAT"})").kind, Kind::kHeartbeat);
  EXPECT_EQ(Decode(R"({"type":"FOO","dst":"b","payload":1})").kind, Kind::kIgnored);
  EXPECT_EQ(Decode(R"({"type":"OFFER","payload":{}})").kind, Kind::kIgnored);
  EXPECT_EQ(Decode(R"({"type":"LEAVE"})").kind, Kind::kIgnored);
  EXPECT_EQ(Decode(R"({"type":"OFFER","dst":""})").kind, Kind::kIgnored);
  EXPECT_EQ(Decode(R"({"type":"OFFER","dst":5})").kind, Kind::kIgnored);
}

TEST_F(PeerJsCodecTest, MalformedFramesAreBad) {
  EXPECT_EQ(Decode("{nope").kind, Kind::kBad);
  EXPECT_EQ(Decode("[1]").kind, Kind::kBad);
  EXPECT_EQ(Decode(R"({"dst":"b"})").kind, Kind::kBad);
  EXPECT_EQ(Decode(R"({"type":1})").kind, Kind::kBad);
}

TEST_F(PeerJsCodecTest, ServerFramesMatchTheReferenceByteForByte) {
  EXPECT_EQ(PeerJsCodec::Open(), R"({"type":"OPEN"})");
  EXPECT_EQ(PeerJsCodec::Error("Invalid key provided"),
            R"({"type":"ERROR","payload":{"msg":"Invalid key provided"}})");
  EXPECT_EQ(PeerJsCodec::IdTaken(), R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})");
  EXPECT_EQ(codec_.Expired("ghost", "alice")->bytes,
            R"({"type":"EXPIRE","src":"ghost","dst":"alice"})");
  EXPECT_EQ(codec_.PeerJoined("x"), nullptr);
}

TEST(PeerJsTypesTest, TheCodecNumbersItsOwnTypes) {
  EXPECT_EQ(kPeerJsTypes.Classify("HEARTBEAT"), PeerJsType::kHeartbeat);
  EXPECT_EQ(kPeerJsTypes.Classify("ID-TAKEN"), PeerJsType::kIdTaken);
  EXPECT_EQ(kPeerJsTypes.Classify("page_opened"), PeerJsType::kOther);  // td's, not PeerJS's
  EXPECT_EQ(kPeerJsTypes.Classify(""), PeerJsType::kInvalid);
  EXPECT_EQ(kPeerJsTypeNames[PeerJsType::kOpen], "open");
}

}  // namespace
}  // namespace sig::edge
