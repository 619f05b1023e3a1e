// The server's connections carry TCP_NODELAY, so a small frame (a candidate, an ack) leaves at
// once instead of waiting behind Nagle for the peer's ACK. The listener sets it and Linux copies
// it into every accepted socket (server.cc); this checks the sockets the server actually holds,
// in the HTTP phase and after the upgrade. The listener also defers each accept until the
// client's first bytes arrive (TCP_DEFER_ACCEPT), so a connection that has sent nothing is not
// yet the server's.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/test_server.h"

namespace sig {
namespace {

namespace net = boost::asio;

// One of this process's sockets bound to the server's port: the listener or an accepted one.
struct ServerSocket {
  int fd;
  bool listening;
  std::uint16_t peer_port;  // 0 for the listener
};

// The server runs in this process, so its sockets are among our descriptors: those bound to
// `port` (the test's clients are bound to ephemeral ports).
std::vector<ServerSocket> ServerSockets(std::uint16_t port) {
  std::vector<ServerSocket> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    sockaddr_in local{};
    socklen_t length = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
        local.sin_family != AF_INET || ntohs(local.sin_port) != port) {
      continue;
    }
    int listening = 0;
    length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0) continue;
    if (listening) {
      out.push_back({fd, true, 0});
      continue;
    }
    sockaddr_in peer{};
    length = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;
    out.push_back({fd, false, ntohs(peer.sin_port)});
  }
  return out;
}

int ListenerFd(std::uint16_t port) {
  for (const ServerSocket& socket : ServerSockets(port)) {
    if (socket.listening) return socket.fd;
  }
  return -1;
}

// The server's end of the connection from `client_port`, or -1 if it has not accepted it.
int AcceptedFd(std::uint16_t server_port, std::uint16_t client_port) {
  for (const ServerSocket& socket : ServerSockets(server_port)) {
    if (!socket.listening && socket.peer_port == client_port) return socket.fd;
  }
  return -1;
}

// TCP_NODELAY on the server's end of the connection from `client_port`; -1 while the server has
// not accepted it yet (waits at most testing::kWait).
int ServerNoDelay(std::uint16_t server_port, std::uint16_t client_port) {
  int fd = -1;
  if (!testing::Eventually([&] { return (fd = AcceptedFd(server_port, client_port)) >= 0; })) {
    return -1;
  }
  int value = -1;
  socklen_t length = sizeof value;
  if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) != 0) return -1;
  return value;
}

class SocketOptionsTest : public testing::ServerTest {};

TEST_F(SocketOptionsTest, HttpPhaseConnectionHasNoDelay) {
  StartServer();
  net::io_context io;
  net::ip::tcp::socket raw(io);
  raw.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  // Half a request: accepted (it has spoken), and still in the HTTP phase.
  net::write(raw, net::buffer(std::string("GET /health HTTP/1.1\r\n")));
  EXPECT_EQ(ServerNoDelay(server_->port(), raw.local_endpoint().port()), 1);
}

TEST_F(SocketOptionsTest, ListenerDefersAcceptUntilTheClientSpeaks) {
  // Not whole seconds: the deferral is rounded up, never shorter than the HTTP deadline. (Linux
  // reports it back as its SYN-ACK retransmission schedule, 1 + 2 + 4 = 7 s for 4; 3 s, had it
  // been rounded down.)
  limits_.http_timeout = absl::Milliseconds(3500);
  StartServer();
  const int listener = ListenerFd(server_->port());
  ASSERT_GE(listener, 0);
  int defer_seconds = 0;
  socklen_t length = sizeof defer_seconds;
  ASSERT_EQ(getsockopt(listener, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, &length), 0);
  EXPECT_GE(defer_seconds, 4);

  // Silent connects first, then speaks: without the deferral the server would accept the
  // silent connection first (one accept queue, in order), so once it holds the speaking one
  // the silent one's absence is not a matter of timing.
  net::io_context io;
  net::ip::tcp::socket silent(io);
  silent.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  net::ip::tcp::socket speaking(io);
  speaking.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  net::write(speaking, net::buffer(std::string("GET /health HTTP/1.1\r\n")));
  ASSERT_EQ(ServerNoDelay(server_->port(), speaking.local_endpoint().port()), 1);
  EXPECT_EQ(AcceptedFd(server_->port(), silent.local_endpoint().port()), -1);

  // Its first bytes hand it over.
  net::write(silent, net::buffer(std::string("GET /health HTTP/1.1\r\n")));
  EXPECT_EQ(ServerNoDelay(server_->port(), silent.local_endpoint().port()), 1);
}

TEST_F(SocketOptionsTest, WebSocketConnectionHasNoDelay) {
  StartServer();
  auto a = LoggedIn("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(ServerNoDelay(server_->port(), a->local_port()), 1);
}

}  // namespace
}  // namespace sig
