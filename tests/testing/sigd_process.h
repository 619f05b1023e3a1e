#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sig::testing {

// sigd run as a child process on 127.0.0.1 and port 0. Start() waits (bounded) for the
// "sigd listening on HOST:PORT" line and reads the port from it. The destructor kills the child
// if the test did not reap it.
class SigdProcess {
 public:
  static absl::StatusOr<SigdProcess> Start(const std::string& binary,
                                           const std::vector<std::string>& extra_args = {});
  SigdProcess(SigdProcess&& other) noexcept;
  SigdProcess& operator=(SigdProcess&&) = delete;
  ~SigdProcess();

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` to the child.
  void Signal(int signal) const;
  // Waits for the child to exit; returns its wait status.
  absl::StatusOr<int> Wait(absl::Duration timeout);

 private:
  SigdProcess(pid_t pid, std::uint16_t port) : pid_(pid), port_(port) {}
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace sig::testing
