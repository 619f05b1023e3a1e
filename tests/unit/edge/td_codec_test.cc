#include "edge/td_codec.h"

#include <string>

#include <boost/json/parse.hpp>

#include "gtest/gtest.h"

namespace sig::edge {
namespace {

using Kind = TdCommand::Kind;

class TdCodecTest : public ::testing::Test {
 protected:
  TdCommand Decode(std::string_view text, bool logged_in = true) {
    return codec_.Decode(text, logged_in ? "alice" : "");
  }
  core::Limits limits_;
  TdCodec codec_{limits_};
};

TEST_F(TdCodecTest, Login) {
  TdCommand c = Decode(R"({"type":"login","name":"alice"})", false);
  EXPECT_EQ(c.kind, Kind::kLogin);
  EXPECT_EQ(c.name, "alice");
  EXPECT_EQ(c.room, "");
  c = Decode(R"({"type":"login","name":"alice","room":"r1"})", false);
  EXPECT_EQ(c.room, "r1");
}

TEST_F(TdCodecTest, BadLoginsCloseWithInvalidName) {
  for (const char* text :
       {R"({"type":"login"})", R"({"type":"login","name":""})", R"({"type":"login","name":7})",
        R"({"type":"login","name":"a\nb"})", R"({"type":"login","name":"a\u0000"})"}) {
    TdCommand c = Decode(text, false);
    EXPECT_EQ(c.kind, Kind::kBadLogin) << text;
    EXPECT_EQ(core::Name(c.rejection), "invalid_name") << text;
  }
  const std::string name65(65, 'n');
  EXPECT_EQ(Decode(R"({"type":"login","name":")" + name65 + "\"}", false).kind, Kind::kBadLogin);
  const std::string name64(64, 'n');
  EXPECT_EQ(Decode(R"({"type":"login","name":")" + name64 + "\"}", false).kind, Kind::kLogin);
  TdCommand room = Decode(R"({"type":"login","name":"a","room":""})", false);
  EXPECT_EQ(room.kind, Kind::kBadLogin);
  EXPECT_EQ(core::Name(room.rejection), "invalid_room");
  EXPECT_EQ(core::Name(Decode(R"({"type":"login","name":"a","room":1})", false).rejection),
            "invalid_room");
}

TEST_F(TdCodecTest, EveryBadFrameHasItsOwnError) {
  struct Case {
    const char* text;
    bool logged_in;
    const char* error;
  } cases[] = {
      {"{not json", true, "invalid_json"},
      {"[1,2]", true, "invalid_message"},
      {"\"login\"", true, "invalid_message"},
      {R"({"target":"b"})", true, "missing_type"},
      {R"({"type":5})", true, "missing_type"},
      {R"({"type":"offer","target":"b"})", false, "not_logged_in"},
      {R"({"type":"ping"})", false, "not_logged_in"},
      {R"({"type":"login","name":"x"})", true, "already_logged_in"},
      {R"({"type":"whatever"})", true, "unknown_type"},
      {R"({"type":"offer","target":7})", true, "invalid_target"},
      {R"({"type":"offer","target":null})", true, "invalid_target"},
  };
  for (const Case& c : cases) {
    TdCommand cmd = Decode(c.text, c.logged_in);
    EXPECT_EQ(cmd.kind, Kind::kBadFrame) << c.text;
    EXPECT_EQ(core::Name(cmd.bad_frame), c.error) << c.text;
    EXPECT_FALSE(cmd.message.empty()) << c.text;
  }
}

TEST_F(TdCodecTest, DeepNestingIsInvalidJson) {
  const std::string deep = R"({"type":"x","a":)" + std::string(5000, '[') +
                           std::string(5000, ']') + "}";
  EXPECT_EQ(core::Name(Decode(deep).bad_frame), "invalid_json");
}

TEST_F(TdCodecTest, RoutingDecisions) {
  EXPECT_EQ(Decode(R"({"type":"ping"})").kind, Kind::kPing);
  TdCommand relay = Decode(R"({"type":"offer","target":"b","sdp":"v=0"})");
  EXPECT_EQ(relay.kind, Kind::kRelay);
  EXPECT_EQ(relay.target, "b");
  // A broadcast type with a target goes to the target only.
  EXPECT_EQ(Decode(R"({"type":"stream_started","target":"b"})").kind, Kind::kRelay);
  for (const char* type : {"stream_started", "stream_stopped", "stream_restored", "page_opened"}) {
    EXPECT_EQ(Decode(std::string(R"({"type":")") + type + "\"}").kind, Kind::kBroadcast) << type;
  }
}

TEST_F(TdCodecTest, RelayedFrameKeepsEveryMemberVerbatimAndOverwritesFrom) {
  const std::string in =
      R"({"type":"offer","target":"b","n":1.0,"big":123456789012345678901234567890,)"
      R"("e":1E+2,"u":"h\u00e9 \ud83d\ude00 é","o":{"from":"nested","a":[1,{"b":null}]},)"
      R"("from":"mallory","fr\u006fm":"mallory2"})";
  const TdCommand cmd = Decode(in);
  ASSERT_EQ(cmd.kind, Kind::kRelay);
  EXPECT_EQ(cmd.frame,
            R"({"type":"offer","target":"b","n":1.0,"big":123456789012345678901234567890,)"
            R"("e":1E+2,"u":"h\u00e9 \ud83d\ude00 é","o":{"from":"nested","a":[1,{"b":null}]},)"
            R"("from":"alice"})");
  boost::json::value v = boost::json::parse(cmd.frame);
  EXPECT_EQ(v.at("from").as_string(), "alice");
}

TEST_F(TdCodecTest, WithoutFromTheSendersTextIsKeptWhole) {
  // Whitespace included: only the closing brace moves.
  EXPECT_EQ(Decode(" {\"type\" : \"stream_started\", \"x\":{\"from\":1} }\n").frame,
            R"( {"type" : "stream_started", "x":{"from":1},"from":"alice"})");
  EXPECT_EQ(Decode(R"({"target":"b","type":"answer"})").frame,
            R"({"target":"b","type":"answer","from":"alice"})");
}

TEST_F(TdCodecTest, EncodedFramesAreValidJson) {
  auto type_of = [](const std::string& s) {
    return std::string(boost::json::parse(s).at("type").as_string());
  };
  EXPECT_EQ(TdCodec::LoginSuccess("a\"b", {"a\"b", "c"}),
            R"({"type":"login_success","id":"a\"b","clients":["a\"b","c"]})");
  EXPECT_EQ(TdCodec::Pong(1705312200000), R"({"type":"pong","timestamp":1705312200000})");
  EXPECT_EQ(type_of(TdCodec::Error("invalid_json", "bad \"x\"")), "error");
  auto nf = boost::json::parse(TdCodec::TargetNotFound("ghost"));
  EXPECT_EQ(nf.at("error").as_string(), "target_not_found");
  EXPECT_EQ(nf.at("target").as_string(), "ghost");
  EXPECT_EQ(codec_.PeerJoined("x")->bytes, R"({"type":"peer_connected","peer":"x"})");
  EXPECT_EQ(codec_.PeerLeft("x")->bytes, R"({"type":"peer_disconnected","peer":"x"})");
}

TEST_F(TdCodecTest, Realms) {
  EXPECT_EQ(TdCodec::Realm(""), "td/");
  EXPECT_EQ(TdCodec::Realm("r"), "td/r");
}

TEST(TdTypesTest, TheCodecNumbersItsOwnTypes) {
  EXPECT_EQ(kTdTypes.Classify("offer"), TdType::kOffer);
  EXPECT_EQ(kTdTypes.Classify("OFFER"), TdType::kOffer);
  EXPECT_EQ(kTdTypes.Classify("stream_restored"), TdType::kStreamRestored);
  EXPECT_EQ(kTdTypes.Classify("HEARTBEAT"), TdType::kOther);  // PeerJS's, not td's
  EXPECT_EQ(kTdTypes.Classify(""), TdType::kInvalid);
  EXPECT_EQ(kTdTypeNames[TdType::kPeerDisconnected], "peer_disconnected");
}

}  // namespace
}  // namespace sig::edge
