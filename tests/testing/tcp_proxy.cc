#include "testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sig::testing {
namespace {

sockaddr_in Loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// Writes all of `data` to `fd` (blocking; both ends of a test read promptly).
bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(std::uint16_t target,
                                                        std::string prefix) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return absl::ErrnoToStatus(errno, "socket");
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof(address);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener, 16) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(listener);
    return absl::ErrnoToStatus(error, "proxy listener");
  }
  return std::unique_ptr<TcpProxy>(
      new TcpProxy(listener, ntohs(address.sin_port), target, std::move(prefix)));
}

TcpProxy::TcpProxy(int listener, std::uint16_t port, std::uint16_t target, std::string prefix)
    : listener_(listener),
      port_(port),
      target_(target),
      prefix_(std::move(prefix)),
      thread_([this] { Run(); }) {}

TcpProxy::~TcpProxy() {
  stop_.store(true);
  thread_.join();
  ::close(listener_);
}

void TcpProxy::Run() {
  // Each connection is a pair of sockets, client side and server side; pairs_[i] forwards
  // fds[2i] <-> fds[2i+1]. A pair is dropped, both sockets closed, when either end closes.
  std::vector<int> fds;
  char buffer[64 * 1024];
  while (!stop_.load()) {
    const bool frozen = frozen_.load();
    std::vector<pollfd> polled{{listener_, POLLIN, 0}};
    if (!frozen) {
      for (int fd : fds) polled.push_back({fd, POLLIN, 0});
    }
    // A short timeout so that Freeze, Thaw and the destructor are noticed promptly.
    if (::poll(polled.data(), polled.size(), 20) <= 0) continue;
    if ((polled[0].revents & POLLIN) != 0) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address = Loopback(target_);
        if (server >= 0 &&
            ::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
            WriteAll(server, prefix_.data(), prefix_.size())) {
          fds.push_back(client);
          fds.push_back(server);
        } else {
          ::close(client);
          if (server >= 0) ::close(server);
        }
      }
    }
    if (frozen) continue;
    std::vector<std::size_t> closed;  // pair indices
    for (std::size_t i = 1; i < polled.size(); ++i) {
      if (polled[i].revents == 0) continue;
      const std::size_t at = i - 1;
      const int from = fds[at];
      const int to = fds[at ^ 1];
      const ssize_t n = ::recv(from, buffer, sizeof(buffer), 0);
      if (n <= 0 || !WriteAll(to, buffer, static_cast<std::size_t>(n))) closed.push_back(at / 2);
    }
    // Ascending, a pair twice when both of its directions closed in this round.
    closed.erase(std::unique(closed.begin(), closed.end()), closed.end());
    for (auto it = closed.rbegin(); it != closed.rend(); ++it) {
      const std::size_t pair = *it;
      ::close(fds[2 * pair]);
      ::close(fds[2 * pair + 1]);
      fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(2 * pair),
                fds.begin() + static_cast<std::ptrdiff_t>(2 * pair + 2));
    }
  }
  for (int fd : fds) ::close(fd);
}

}  // namespace sig::testing
