#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "testing/subprocess.h"

namespace sig::testing {

// A throw-away redis-server (Debian's package, installed by tools/setup) on a free loopback
// port, without persistence, in a scratch directory. Stopped, by its pid, when destroyed.
class RedisServer {
 public:
  // `extra` is appended to the command line ("--requirepass", "secret", say).
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(std::vector<std::string> extra = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:<port>", as REDIS_ADDR takes it.
  std::string address() const;

  // Kills the server with SIGKILL and waits for it.
  absl::Status Kill();
  // Starts it again on the same port, empty (no persistence).
  absl::Status Restart();

 private:
  RedisServer(std::string dir, std::vector<std::string> extra)
      : dir_(std::move(dir)), extra_(std::move(extra)) {}
  absl::Status Launch();

  std::string dir_;
  std::vector<std::string> extra_;
  int port_ = 0;
  std::optional<Subprocess> process_;
};

}  // namespace sig::testing
