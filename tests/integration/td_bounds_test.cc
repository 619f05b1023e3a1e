// Every td bound at its edge over real sockets, and the defined outcome when it is crossed:
// the offender gets an error frame or a close code, and a bystander pair keeps relaying.

#include <string>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/bystander_test.h"

namespace sig {
namespace {

using ::sig::testing::Str;

class TdBoundsTest : public testing::BystanderTest {
 protected:
  void ExpectSlowConsumerClosed1013();

  // A login as `name` (JSON string contents, escapes allowed) gets invalid_name, then 4001.
  void ExpectNameRefused(const std::string& name) {
    auto c = Connect();
    ASSERT_TRUE(c->Send(R"({"type":"login","name":")" + name + "\"}").ok());
    auto error = c->ReadJson();
    ASSERT_TRUE(error.ok());
    EXPECT_EQ(Str(*error, "error"), "invalid_name") << name;
    auto code = c->WaitClose();
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 4001) << name;
  }
};

TEST_F(TdBoundsTest, NameOf64CharactersIsAcceptedAnd65Closes4001) {
  StartServer();
  StartBystanders();
  EXPECT_TRUE(LoggedIn(std::string(64, 'n')));
  // 64 four-byte characters: the limit counts characters, not bytes.
  std::string emoji;
  for (int i = 0; i < 64; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(LoggedIn(emoji));

  for (const std::string& bad : {std::string(65, 'n'), std::string(""), std::string("a\\u0001")}) {
    ExpectNameRefused(bad);
  }
  auto non_string = Connect();
  ASSERT_TRUE(non_string->Send(R"({"type":"login","name":{"a":1}})").ok());
  auto code = non_string->WaitClose();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 4001);
  ExpectBystandersRelay();
}

// Look-alike names: a name with an invisible format character is refused (4001), and two
// spellings of one name under Unicode normalization are one name, so the second is taken.
TEST_F(TdBoundsTest, LookAlikeNamesAreRefusedOrTaken) {
  StartServer();
  StartBystanders();
  for (const std::string& bad :
       {std::string("ali\\u200bce"), std::string("\\u202eecila"), std::string("a\\u00adb")}) {
    ExpectNameRefused(bad);
  }
  // "café" decomposed logs in under its NFC form, which login_success reports.
  auto decomposed = Connect();
  ASSERT_TRUE(decomposed->Send(R"({"type":"login","name":"cafe\u0301","room":"r\u00e9"})").ok());
  auto ok = decomposed->ReadJson();
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(Str(*ok, "id"), "caf\xC3\xA9");
  // The precomposed spelling, in the same room spelled the other way, is the same name.
  auto composed = Connect();
  ASSERT_TRUE(composed->Send("{\"type\":\"login\",\"name\":\"caf\xC3\xA9\",\"room\":\"re\xCC\x81\"}").ok());
  auto taken = composed->ReadJson();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(Str(*taken, "error"), "name_taken");
  auto code = composed->WaitClose();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 4000);
  ExpectBystandersRelay();
}

// A relay message of exactly max_frame_bytes, padded with a string field.
std::string MessageOfSize(std::size_t size) {
  std::string head = R"({"type":"offer","target":"b","pad":")";
  std::string tail = "\"}";
  return head + std::string(size - head.size() - tail.size(), 'p') + tail;
}

TEST_F(TdBoundsTest, FrameOf64KiBIsRelayedAndOneByteMoreCloses1009) {
  StartServer();
  StartBystanders();
  auto a = LoggedIn("a");
  auto b = LoggedIn("b");
  ASSERT_TRUE(a && b);
  const std::string max = MessageOfSize(64 * 1024);
  ASSERT_EQ(max.size(), 65536u);
  ASSERT_TRUE(a->Send(max).ok());
  auto got = b->Read();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), max.size() + std::string(R"(,"from":"a")").size());

  ASSERT_TRUE(a->Send(MessageOfSize(64 * 1024 + 1)).ok());
  ExpectClosedAndBystandersRelay(*a, *b, 1009);
}

// A message may arrive in many frames: the server reassembles it and relays it whole, and the
// size bound counts the whole message, not each frame.
TEST_F(TdBoundsTest, FragmentedMessagesAreReassembledWithinTheSizeBound) {
  StartServer();
  StartBystanders();
  auto a = LoggedIn("a");
  auto b = LoggedIn("b");
  ASSERT_TRUE(a && b);
  const std::string max = MessageOfSize(64 * 1024);
  ASSERT_TRUE(a->SendFragmented(max, 7).ok());
  auto got = b->Read();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, max.substr(0, max.size() - 1) + R"(,"from":"a"})");
  // A small one in many tiny frames, then 64 KiB + 1 in frames each far below the bound.
  const std::string small = R"({"type":"candidate","target":"b","candidate":"x"})";
  ASSERT_TRUE(a->SendFragmented(small, static_cast<int>(small.size())).ok());
  got = b->Read();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, small.substr(0, small.size() - 1) + R"(,"from":"a"})");
  ASSERT_TRUE(a->SendFragmented(MessageOfSize(64 * 1024 + 1), 16).ok());
  ExpectClosedAndBystandersRelay(*a, *b, 1009);
}

TEST_F(TdBoundsTest, RepeatedBadFramesClose1008AtTheBudgetEdge) {
  limits_.bad_frame_burst = 5;
  StartServer();
  StartBystanders();
  auto a = LoggedIn("a");
  // The clock is frozen, so the bucket never refills: exactly `burst` bad frames are answered.
  for (std::uint32_t i = 0; i < limits_.bad_frame_burst; ++i) {
    ASSERT_TRUE(a->Send("not json").ok());
    auto error = a->ReadJson();
    ASSERT_TRUE(error.ok()) << i;
    EXPECT_EQ(Str(*error, "error"), "invalid_json");
  }
  ASSERT_TRUE(a->Send("not json").ok());
  ExpectClosedCountedAndBystandersRelay(*a, 1008);
}

TEST_F(TdBoundsTest, BinaryFrameCloses1003) {
  StartServer();
  StartBystanders();
  auto a = LoggedIn("a");
  ASSERT_TRUE(a->SendBinary("\x01\x02").ok());
  ExpectClosedCountedAndBystandersRelay(*a, 1003);
}

TEST_F(TdBoundsTest, InvalidUtf8Closes1007) {
  StartServer();
  StartBystanders();
  auto a = LoggedIn("a");
  ASSERT_TRUE(a->Send("{\"type\":\"\xFF\"}").ok());
  ExpectClosedCountedAndBystandersRelay(*a, 1007);
}

// A peer that stops reading while another floods it is closed with 1013 once its queue is full;
// the flooder learns it left, and the slow peer, when it reads again, finds the 1013 close.
// Peers are dealt to I/O threads in turn, so with two threads the slow peer and the flooder
// are on different ones (delivery by post); with one, on the same (delivery inline, the close
// posted).
TEST_F(TdBoundsTest, SlowConsumerIsClosed1013) { ExpectSlowConsumerClosed1013(); }

TEST_F(TdBoundsTest, SlowConsumerOnTheFloodersThreadIsClosed1013) {
  threads_ = 1;
  ExpectSlowConsumerClosed1013();
}

void TdBoundsTest::ExpectSlowConsumerClosed1013() {
  limits_.send_queue_max_frames = 16;
  limits_.send_queue_max_bytes = 256 * 1024;
  limits_.close_timeout = absl::Seconds(60);  // long enough for the slow peer to read its 1013
  StartServer();
  StartBystanders();
  auto slow_client = testing::WsClient::Connect(server_->port(), "/", 4096);
  ASSERT_TRUE(slow_client.ok());
  auto& slow = *slow_client;
  ASSERT_TRUE(slow->Login("slow").ok());
  auto flooder = LoggedIn("flooder");
  ASSERT_TRUE(flooder);

  const std::string chunk = absl::StrCat(R"({"type":"candidate","target":"slow","pad":")",
                                         std::string(16 * 1024, 'c'), "\"}");
  bool gone = false;
  // Bounded: at most 64 MiB, far more than loopback socket buffers hold.
  for (int i = 0; i < 4096 && !gone; ++i) {
    absl::Status sent = flooder->Send(chunk);
    ASSERT_TRUE(sent.ok()) << i << ": " << sent;
    if (i % 32 == 31) {
      // The flooder only hears about the slow peer once it is gone.
      auto note = flooder->ReadJson(absl::Milliseconds(50));
      if (note.ok()) gone = Str(*note, "type") == "peer_disconnected" ||
                            Str(*note, "error") == "target_not_found";
    }
  }
  ASSERT_TRUE(gone) << "the slow consumer was never closed";
  ExpectBystandersRelay();
  auto code = slow->WaitClose(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1013);
  EXPECT_EQ(server_->state().stats.queue_overflows(), 1u);
  EXPECT_TRUE(ClosesReach(1013, 1));
}

// With no pong (the client does not read, so never answers pings), a peer is dropped after two
// ping periods and the others hear it left.
TEST_F(TdBoundsTest, PeerThatNeverAnswersPingsIsDropped) {
  limits_.ping_interval = absl::Milliseconds(200);
  StartServer();
  auto watcher = LoggedIn("watcher");
  auto dead = LoggedIn("dead");
  ASSERT_TRUE(watcher && dead);
  ASSERT_TRUE(watcher->ReadType("peer_connected").ok());
  // The watcher keeps reading, so it answers pings and stays; the dead peer reads nothing.
  auto left = watcher->ReadType("peer_disconnected", absl::Seconds(10));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(Str(*left, "peer"), "dead");
  ASSERT_TRUE(watcher->Send(R"({"type":"ping"})").ok());
  EXPECT_TRUE(watcher->ReadType("pong").ok());
}

TEST_F(TdBoundsTest, OversizedHttpHeadersAre431) {
  StartServer();
  auto reply = testing::HttpGet(server_->port(), "/health?" + std::string(16 * 1024, 'q'));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 431);
}

}  // namespace
}  // namespace sig
