// Clients that never finish an HTTP request, or finish it one byte at a time, are cut off at
// http_timeout, and a well-behaved peer beside them keeps relaying. Each test is bounded: a
// handful of connections, every wait with a deadline.

#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/test_server.h"

namespace sig {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class HostileHttpTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    limits_.http_timeout = absl::Milliseconds(300);
    StartServer();
  }

  tcp::socket Raw() {
    tcp::socket socket(io_);
    socket.connect({net::ip::make_address("127.0.0.1"), server_->port()});
    return socket;
  }

  // True once the server has closed `socket` (EOF or reset), waiting at most testing::kWait.
  static bool ClosedByServer(tcp::socket& socket) {
    const int fd = socket.native_handle();
    timeval tv{static_cast<time_t>(absl::ToInt64Seconds(testing::kWait)), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte;
    boost::system::error_code ec;
    socket.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  // A relay between two logged-in peers still works.
  void ExpectRelayWorks() {
    auto a = LoggedIn("a");
    auto b = LoggedIn("b");
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(a->Send(R"({"type":"offer","target":"b"})").ok());
    EXPECT_TRUE(b->ReadType("offer").ok());
  }

  // The timer closes the socket before the failed read is counted: the count can trail the
  // close the client sees by a moment. Waits for exactly `n`, bounded.
  bool HttpTimeoutsReach(std::uint64_t n) {
    const core::Stats& stats = server_->state().stats;
    return testing::Eventually([&] { return stats.http_timeouts() >= n; }) &&
           stats.http_timeouts() == n;
  }

  net::io_context io_;
};

TEST_F(HostileHttpTest, NeverFinishedHeadersAreClosedAtTheDeadline) {
  tcp::socket slow = Raw();
  net::write(slow, net::buffer(std::string("GET /health HTTP/1.1\r\nHost: x\r\n")));
  ExpectRelayWorks();
  EXPECT_TRUE(ClosedByServer(slow));
  EXPECT_TRUE(HttpTimeoutsReach(1));
}

TEST_F(HostileHttpTest, ByteByByteRequestIsClosedAtTheDeadline) {
  tcp::socket slow = Raw();
  // A request that would take 100 x 20 ms = 2 s to send, against a 300 ms deadline for the
  // whole request: the server closes it partway, whatever the pacing.
  const std::string request =
      "GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(60, 'p') + "\r\n\r\n";
  std::size_t sent = 0;
  boost::system::error_code ec;
  for (; sent < request.size() && !ec; ++sent) {
    net::write(slow, net::buffer(&request[sent], 1), ec);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(ec || ClosedByServer(slow)) << "sent " << sent << " bytes";
  ExpectRelayWorks();
  EXPECT_TRUE(HttpTimeoutsReach(1));
}

TEST_F(HostileHttpTest, UpgradePathWithoutUpgradeHeadersIsPlainHttp) {
  auto reply = testing::HttpGet(server_->port(), "/peerjs/peerjs?key=peerjs&id=x&token=t");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 404);
  auto td = testing::HttpGet(server_->port(), "/");
  ASSERT_TRUE(td.ok());
  EXPECT_EQ(td->status, 200);  // "/" is /health when not an upgrade
  ExpectRelayWorks();
}

}  // namespace
}  // namespace sig
