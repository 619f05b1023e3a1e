#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sig::testing {

// A child process with its stdout and stderr on pipes. Every wait has a deadline. The
// destructor kills the child if the test did not reap it.
class Subprocess {
 public:
  // `args[0]` is the program's path. With `stderr_file`, the child's stderr goes to that file
  // instead of a pipe: a long-running child that logs never blocks on a pipe nobody reads, and
  // its log outlives it for a failing test to show (Finish reads it into `err`).
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& args,
                                          const std::string& stderr_file = "");
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }

  // The next line (without '\n') the child writes to stdout or stderr.
  absl::StatusOr<std::string> ReadStdoutLine(absl::Duration timeout);
  absl::StatusOr<std::string> ReadStderrLine(absl::Duration timeout);

  void Signal(int signal) const;
  // Waits for the child to exit; returns its wait status.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // Waits for the exit and everything written to stdout, then stderr: its exit code, and the
  // output (stderr is read once stdout closes: for children that write little to it).
  struct Result {
    int exit_code = -1;  // -1 if killed by a signal
    std::string out;
    std::string err;
  };
  absl::StatusOr<Result> Finish(absl::Duration timeout);

 private:
  Subprocess(pid_t pid, int out_fd, int err_fd) : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}
  absl::StatusOr<std::string> ReadLine(int fd, std::string& buffer, absl::Time deadline);
  // Appends every line of `fd` to `out` until its end (OutOfRange from ReadLine).
  absl::Status ReadToEnd(int fd, std::string& buffer, absl::Time deadline, std::string& out);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;  // -1 with stderr_file_
  std::string stderr_file_;
  std::string out_buffer_;
  std::string err_buffer_;
};

// Runs `args` to its end within `timeout`. A child that cannot start or does not end in time
// fails the calling test and gives an empty Result (exit_code -1).
Subprocess::Result RunToEnd(const std::vector<std::string>& args,
                            absl::Duration timeout = absl::Seconds(10));

}  // namespace sig::testing
