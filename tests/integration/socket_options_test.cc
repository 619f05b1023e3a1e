// The server's connections carry TCP_NODELAY, so a small frame (a candidate, an ack) leaves at
// once instead of waiting behind Nagle for the peer's ACK. The listener sets it and Linux copies
// it into every accepted socket (server.cc); this checks the sockets the server actually holds,
// in the HTTP phase and after the upgrade.

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

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/test_server.h"

namespace sig {
namespace {

namespace net = boost::asio;

struct AcceptedSocket {
  int fd;
  std::uint16_t peer_port;
};

// The server runs in this process, so the sockets it accepted are among our descriptors: those
// bound to `port` that are not the listener.
std::vector<AcceptedSocket> AcceptedSockets(std::uint16_t port) {
  std::vector<AcceptedSocket> out;
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
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening) continue;
    sockaddr_in peer{};
    length = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;
    out.push_back({fd, ntohs(peer.sin_port)});
  }
  return out;
}

// TCP_NODELAY on the server's end of the connection from `client_port`; -1 while the server has
// not accepted it yet (waits at most testing::kWait).
int ServerNoDelay(std::uint16_t server_port, std::uint16_t client_port) {
  const absl::Time deadline = absl::Now() + testing::kWait;
  do {
    for (const AcceptedSocket& socket : AcceptedSockets(server_port)) {
      if (socket.peer_port != client_port) continue;
      int value = -1;
      socklen_t length = sizeof value;
      if (getsockopt(socket.fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) != 0) return -1;
      return value;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  } while (absl::Now() < deadline);
  return -1;
}

class SocketOptionsTest : public testing::ServerTest {};

TEST_F(SocketOptionsTest, HttpPhaseConnectionHasNoDelay) {
  StartServer();
  net::io_context io;
  net::ip::tcp::socket raw(io);
  raw.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  EXPECT_EQ(ServerNoDelay(server_->port(), raw.local_endpoint().port()), 1);
}

TEST_F(SocketOptionsTest, WebSocketConnectionHasNoDelay) {
  StartServer();
  auto a = LoggedIn("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(ServerNoDelay(server_->port(), a->local_port()), 1);
}

}  // namespace
}  // namespace sig
