#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "testing/subprocess.h"

namespace sig::testing {

// sigd run as a child process on 127.0.0.1 and port 0, its admin API on 127.0.0.1 and port 0.
// Start() waits (bounded) for the two "... listening on HOST:PORT" lines and reads the ports
// (one line and no admin port when `extra_args` holds "--admin_addr=").
class SigdProcess {
 public:
  static absl::StatusOr<SigdProcess> Start(const std::string& binary,
                                           const std::vector<std::string>& extra_args = {});

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  // The file sigd's stderr (its log) goes to; it outlives the process.
  const std::string& log_path() const { return log_path_; }
  // What sigd has logged so far.
  std::string Log() const;
  pid_t pid() const { return process_.pid(); }

  // Sends `signal` to the child.
  void Signal(int signal) const { process_.Signal(signal); }
  // Waits for the child to exit; returns its wait status.
  absl::StatusOr<int> Wait(absl::Duration timeout) { return process_.Wait(timeout); }
  // Waits for the child to exit, with what it wrote to stdout and stderr since Start.
  absl::StatusOr<Subprocess::Result> Finish(absl::Duration timeout) {
    return process_.Finish(timeout);
  }

 private:
  explicit SigdProcess(Subprocess process) : process_(std::move(process)) {}
  Subprocess process_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::string log_path_;
};

}  // namespace sig::testing
