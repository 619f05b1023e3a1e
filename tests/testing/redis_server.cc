#include "testing/redis_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace sig::testing {
namespace {

// A loopback port nothing listens on right now (the kernel's pick for a bound socket).
absl::StatusOr<int> FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError("bind failed");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(std::vector<std::string> extra) {
  std::string dir = (std::filesystem::temp_directory_path() / "sig-redis-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  std::unique_ptr<RedisServer> server(new RedisServer(std::move(dir), std::move(extra)));
  // A port picked free can be taken before redis binds it; a few tries make that moot.
  absl::Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    status = server->Launch();
    if (status.ok()) return server;
  }
  return status;
}

RedisServer::~RedisServer() {
  if (process_.has_value()) {
    process_->Signal(SIGKILL);
    (void)process_->Wait(absl::Seconds(5));
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status RedisServer::Launch() {
  std::vector<std::string> args = {"/usr/bin/redis-server", "--port", std::to_string(port_),
                                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                   "--dir", dir_, "--daemonize", "no", "--loglevel", "notice"};
  args.insert(args.end(), extra_.begin(), extra_.end());
  absl::StatusOr<Subprocess> process = Subprocess::Start(args);
  if (!process.ok()) return process.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (;;) {
    absl::StatusOr<std::string> line = process->ReadStdoutLine(deadline - absl::Now());
    if (!line.ok()) {
      process->Signal(SIGKILL);
      (void)process->Wait(absl::Seconds(5));
      return absl::UnavailableError(
          absl::StrCat("redis-server did not become ready: ", line.status().message()));
    }
    if (line->find("Ready to accept connections") != std::string::npos) break;
  }
  process_.emplace(*std::move(process));
  return absl::OkStatus();
}

absl::Status RedisServer::Kill() {
  if (!process_.has_value()) return absl::FailedPreconditionError("not running");
  process_->Signal(SIGKILL);
  absl::StatusOr<int> status = process_->Wait(absl::Seconds(5));
  process_.reset();
  return status.status();
}

absl::Status RedisServer::Restart() {
  if (process_.has_value()) {
    if (absl::Status s = Kill(); !s.ok()) return s;
  }
  return Launch();
}

}  // namespace sig::testing
