// sigd's WebSocket frame layer over real sockets, driven byte by byte by a raw client: frames
// that break RFC 6455 get 1002 and a metric, pings get pongs, a client's close is answered with
// its code and then the end of the stream, frames split across reads or sharing one read are
// all handled, and a receiver slower than its sender gets every frame intact. A bystander pair
// keeps relaying beside each offender.

#include <sys/socket.h>
#include <sys/time.h>

#include <cstdint>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "testing/bystander_test.h"

namespace sig {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using ::sig::testing::Str;

// A WebSocket client that writes its frames by hand. Every read waits at most testing::kWait.
class RawWs {
 public:
  struct Frame {
    std::uint8_t opcode = 0;
    std::string payload;
  };

  // A receive buffer of `receive_buffer_bytes` (0: the system's) makes a client that does not
  // read fill up fast.
  explicit RawWs(std::uint16_t port, int receive_buffer_bytes = 0) : socket_(io_) {
    socket_.open(tcp::v4());
    if (receive_buffer_bytes > 0) {
      socket_.set_option(net::socket_base::receive_buffer_size(receive_buffer_bytes));
    }
    socket_.connect({net::ip::make_address("127.0.0.1"), port});
    const int fd = socket_.native_handle();
    timeval tv{static_cast<time_t>(absl::ToInt64Seconds(testing::kWait)), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    net::write(socket_, net::buffer(std::string(
                            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                            "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")));
    net::read_until(socket_, in_, "\r\n\r\n");
    std::string head(static_cast<const char*>(in_.data().data()), in_.size());
    head.resize(head.find("\r\n\r\n") + 4);
    in_.consume(head.size());
    upgraded_ = absl::StartsWith(head, "HTTP/1.1 101");
  }

  bool upgraded() const { return upgraded_; }

  // A client frame: masked unless told otherwise.
  static std::string Encode(std::uint8_t opcode, std::string_view payload, bool fin = true,
                            bool masked = true) {
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    const char mask_bit = masked ? '\x80' : '\0';
    if (payload.size() < 126) {
      out.push_back(static_cast<char>(mask_bit | static_cast<char>(payload.size())));
    } else {
      out.push_back(static_cast<char>(mask_bit | 126));
      out.push_back(static_cast<char>(payload.size() >> 8));
      out.push_back(static_cast<char>(payload.size() & 0xFF));
    }
    const char mask[4] = {'\x12', '\x34', '\x56', '\x78'};
    if (masked) out.append(mask, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) {
      out.push_back(masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i]);
    }
    return out;
  }

  void Write(std::string_view bytes) { net::write(socket_, net::buffer(bytes.data(), bytes.size())); }

  // The next server frame; opcode 0xFF when the stream ended or the read timed out.
  Frame Read() {
    boost::system::error_code ec;
    if (!Fill(2, ec)) return {0xFF, ec.message()};
    const auto* p = static_cast<const unsigned char*>(in_.data().data());
    Frame frame{static_cast<std::uint8_t>(p[0] & 0x0F), {}};
    EXPECT_EQ(p[0] & 0xF0, 0x80) << "FIN and no reserved bits";
    EXPECT_EQ(p[1] & 0x80, 0) << "server frames are not masked";
    std::size_t header = 2;
    std::size_t length = p[1] & 0x7F;
    if (length == 126) {
      if (!Fill(4, ec)) return {0xFF, ec.message()};
      p = static_cast<const unsigned char*>(in_.data().data());
      length = (std::size_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      ADD_FAILURE() << "no test here expects a frame of 64 KiB or more";
      return {0xFF, "too long"};
    }
    if (!Fill(header + length, ec)) return {0xFF, ec.message()};
    frame.payload.assign(static_cast<const char*>(in_.data().data()) + header, length);
    in_.consume(header + length);
    return frame;
  }

  // True when the server ends the stream (EOF) within testing::kWait.
  bool ReadsEof() {
    if (in_.size() != 0) return false;  // bytes after the close frame
    char byte;
    boost::system::error_code ec;
    socket_.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof;
  }

  static std::uint16_t CloseCode(const Frame& frame) {
    if (frame.opcode != 0x8 || frame.payload.size() < 2) return 0;
    return static_cast<std::uint16_t>((static_cast<unsigned char>(frame.payload[0]) << 8) |
                                      static_cast<unsigned char>(frame.payload[1]));
  }

 private:
  bool Fill(std::size_t n, boost::system::error_code& ec) {
    if (in_.size() >= n) return true;
    net::read(socket_, in_, net::transfer_at_least(n - in_.size()), ec);
    return in_.size() >= n;
  }

  net::io_context io_;
  tcp::socket socket_;
  net::streambuf in_;
  bool upgraded_ = false;
};

class WsFramesTest : public testing::BystanderTest {
 protected:
  std::unique_ptr<RawWs> Raw() {
    auto raw = std::make_unique<RawWs>(server_->port());
    EXPECT_TRUE(raw->upgraded());
    return raw;
  }
};

TEST_F(WsFramesTest, FramesThatBreakTheProtocolAreClosed1002) {
  StartServer();
  StartBystanders();
  const std::string breakers[] = {
      RawWs::Encode(0x1, R"({"type":"ping"})", true, /*masked=*/false),
      std::string("\xC1\x80\x00\x00\x00\x00", 6),  // RSV1 set, no extension negotiated
      RawWs::Encode(0x3, ""),                       // reserved opcode
      RawWs::Encode(0x9, "", /*fin=*/false),        // fragmented ping
      RawWs::Encode(0x9, std::string(126, 'p')),    // ping over 125 bytes
      RawWs::Encode(0x0, "x"),                      // continuation of nothing
  };
  std::uint64_t n = 0;
  for (const std::string& bytes : breakers) {
    auto raw = Raw();
    raw->Write(bytes);
    const RawWs::Frame close = raw->Read();
    EXPECT_EQ(RawWs::CloseCode(close), 1002) << n << ": opcode " << int{close.opcode} << " " << close.payload;
    EXPECT_TRUE(raw->ReadsEof()) << n;
    ++n;
    EXPECT_TRUE(ClosesReach(1002, n)) << n;
  }
  ExpectBystandersRelay();
}

// A complete message and a frame that breaks the protocol in one write: the reply to the
// message is due, so it goes out before the close frame. Every round, not most.
TEST_F(WsFramesTest, RepliesDueGoOutBeforeTheProtocolErrorsClose) {
  StartServer();
  for (int round = 0; round < 40; ++round) {
    auto raw = Raw();
    raw->Write(RawWs::Encode(0x1, R"({"type":"login","name":"n)" + std::to_string(round) + "\"}") +
               RawWs::Encode(0x1, R"({"type":"ping"})") + RawWs::Encode(0x3, ""));
    const RawWs::Frame login = raw->Read();
    EXPECT_TRUE(absl::StrContains(login.payload, "login_success")) << round << ": " << login.payload;
    const RawWs::Frame pong = raw->Read();
    EXPECT_TRUE(absl::StrContains(pong.payload, "pong")) << round << ": " << pong.payload;
    EXPECT_EQ(RawWs::CloseCode(raw->Read()), 1002) << round;
  }
}

TEST_F(WsFramesTest, PingIsAnsweredWithItsPayload) {
  StartServer();
  auto raw = Raw();
  raw->Write(RawWs::Encode(0x9, "are you there"));
  const RawWs::Frame pong = raw->Read();
  EXPECT_EQ(pong.opcode, 0xA);
  EXPECT_EQ(pong.payload, "are you there");
}

// A peer that pings and never reads: its pongs wait in the same send queue bound as its
// frames, and past it the peer is closed with 1013 like any slow consumer, its memory bounded.
TEST_F(WsFramesTest, PongsForAPeerThatNeverReadsCountAgainstItsSendQueue) {
  limits_.rate_limit_per_second = 0;  // the queue bound alone
  limits_.send_queue_max_bytes = 16 * 1024;
  limits_.close_timeout = absl::Seconds(60);  // long enough to read the close
  StartServer();
  StartBystanders();
  RawWs raw(server_->port(), /*receive_buffer_bytes=*/4096);
  ASSERT_TRUE(raw.upgraded());
  std::string pings;
  for (int i = 0; i < 1000; ++i) pings += RawWs::Encode(0x9, std::string(125, 'p'));
  // Bounded: at most 64 MiB of pings, far beyond what loopback buffers hold.
  const core::Stats& stats = server_->state().stats;
  for (int i = 0; i < 512 && stats.queue_overflows() == 0; ++i) raw.Write(pings);
  ASSERT_EQ(stats.queue_overflows(), 1u) << "pongs were queued without bound";
  RawWs::Frame frame = raw.Read();
  for (int i = 0; i < 1000000 && frame.opcode == 0xA; ++i) frame = raw.Read();
  EXPECT_EQ(RawWs::CloseCode(frame), 1013) << "opcode " << int{frame.opcode} << " " << frame.payload;
  EXPECT_TRUE(ClosesReach(1013, 1));
  ExpectBystandersRelay();
}

TEST_F(WsFramesTest, ClientCloseIsAnsweredWithItsCodeThenTheStreamEnds) {
  StartServer();
  StartBystanders();
  auto raw = Raw();
  raw->Write(RawWs::Encode(0x1, R"({"type":"login","name":"leaver","room":"quiet"})"));
  EXPECT_EQ(raw->Read().opcode, 0x1);  // login_success
  raw->Write(RawWs::Encode(0x8, std::string("\x0F\xA0", 2) + "bye"));  // 4000
  RawWs::Frame frame = raw->Read();
  while (frame.opcode == 0x1) frame = raw->Read();  // peer notifications queued before the close
  EXPECT_EQ(RawWs::CloseCode(frame), 4000);
  EXPECT_TRUE(raw->ReadsEof());
  // The room hears the peer leave; the server counted no close of its own.
  auto left = x_->ReadType("peer_disconnected");
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(Str(*left, "peer"), "leaver");
  EXPECT_EQ(server_->state().stats.closes(static_cast<std::size_t>(
                std::find(core::Stats::kCloseCodes.begin(), core::Stats::kCloseCodes.end(), 4000) -
                core::Stats::kCloseCodes.begin())),
            0u);
}

TEST_F(WsFramesTest, FramesSplitAcrossReadsAndSharingOneAreAllHandled) {
  StartServer();
  auto raw = Raw();
  // A login split into single bytes, each its own write.
  const std::string login = RawWs::Encode(0x1, R"({"type":"login","name":"split"})");
  for (char byte : login) raw->Write(std::string_view(&byte, 1));
  RawWs::Frame reply = raw->Read();
  EXPECT_TRUE(absl::StrContains(reply.payload, "login_success")) << reply.payload;
  // Three pings in one write, the second fragmented around a control frame. The control
  // frame's pong may overtake the text replies, which a session writes once the batch of
  // handlers has run (ws_session.cc, FlushSoon); the text replies keep their order.
  raw->Write(RawWs::Encode(0x1, R"({"type":"ping"})") + RawWs::Encode(0x1, R"({"type":)", false) +
             RawWs::Encode(0x9, "mid") + RawWs::Encode(0x0, R"("ping"})") +
             RawWs::Encode(0x1, R"({"type":"ping"})"));
  int text_pongs = 0;
  int control_pongs = 0;
  for (int i = 0; i < 4; ++i) {
    const RawWs::Frame frame = raw->Read();
    if (frame.opcode == 0xA) {
      EXPECT_EQ(frame.payload, "mid");
      ++control_pongs;
    } else {
      EXPECT_EQ(frame.opcode, 0x1);
      EXPECT_TRUE(absl::StrContains(frame.payload, "pong")) << frame.payload;
      ++text_pongs;
    }
  }
  EXPECT_EQ(text_pongs, 3);
  EXPECT_EQ(control_pongs, 1);
}

// A session writes what a batch of handlers queued for it once they have run. Frames held back
// that way do not count against its send queue's bound, which is for frames the kernel has not
// taken: eight relayed from one read reach a peer whose queue holds two.
TEST_F(WsFramesTest, FramesOfOneReadAllArriveWithinASendQueueOfTwo) {
  threads_ = 1;  // the sender's read and the receiver's queue on one thread: delivery inline
  limits_.send_queue_max_frames = 2;
  StartServer();
  auto receiver = LoggedIn("receiver");
  ASSERT_TRUE(receiver);
  auto raw = Raw();
  raw->Write(RawWs::Encode(0x1, R"({"type":"login","name":"burst"})"));
  ASSERT_TRUE(absl::StrContains(raw->Read().payload, "login_success"));
  std::string burst;
  for (int i = 0; i < 8; ++i) {
    burst += RawWs::Encode(
        0x1, absl::StrCat(R"({"type":"candidate","target":"receiver","seq":)", i, "}"));
  }
  raw->Write(burst);
  for (int i = 0; i < 8; ++i) {
    auto got = receiver->ReadType("candidate");
    ASSERT_TRUE(got.ok()) << i << ": " << got.status();
    EXPECT_EQ(got->at("seq").as_int64(), i);
  }
  EXPECT_EQ(server_->state().stats.queue_overflows(), 0u);
}

// Far more than the loopback socket buffers hold, so most of it is written after the kernel
// first refuses it, and every frame must still arrive whole and in order.
TEST_F(WsFramesTest, AReceiverSlowerThanItsSenderGetsEveryFrameIntact) {
  limits_.send_queue_max_frames = 4096;
  limits_.send_queue_max_bytes = 64 * 1024 * 1024;
  StartServer();
  auto slow_client = testing::WsClient::Connect(server_->port(), "/", 4096);
  ASSERT_TRUE(slow_client.ok());
  auto& slow = *slow_client;
  ASSERT_TRUE(slow->Login("slow").ok());
  auto sender = LoggedIn("sender");
  ASSERT_TRUE(sender);
  constexpr int kMessages = 400;  // 400 x 20 KiB: 8 MiB
  for (int i = 0; i < kMessages; ++i) {
    const std::string pad(20 * 1024, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(sender->Send(absl::StrCat(R"({"type":"candidate","target":"slow","seq":)", i,
                                          R"(,"pad":")", pad, "\"}"))
                    .ok());
  }
  for (int i = 0; i < kMessages; ++i) {
    auto got = slow->ReadType("candidate");
    ASSERT_TRUE(got.ok()) << i << ": " << got.status();
    ASSERT_EQ(got->at("seq").as_int64(), i);
    const auto& pad = got->at("pad").as_string();
    ASSERT_EQ(pad.size(), 20u * 1024u);
    ASSERT_EQ(pad.find_first_not_of(static_cast<char>('a' + i % 26)), std::string::npos) << i;
  }
}

}  // namespace
}  // namespace sig
