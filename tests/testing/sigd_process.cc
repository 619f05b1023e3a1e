#include "testing/sigd_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace sig::testing {

absl::StatusOr<SigdProcess> SigdProcess::Start(const std::string& binary,
                                               const std::vector<std::string>& extra_args) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> args = {binary, "--host=127.0.0.1", "--port=0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string line;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (line.find('\n') == std::string::npos) {
    pollfd pfd{out[0], POLLIN, 0};
    const auto wait_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (wait_ms <= 0 || poll(&pfd, 1, static_cast<int>(wait_ms)) <= 0) break;
    char buf[256];
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  close(out[0]);
  SigdProcess process(pid, 0);
  const auto colon = line.rfind(':');
  const auto end = line.find('\n');
  std::uint32_t port = 0;
  if (colon == std::string::npos || end == std::string::npos ||
      !absl::SimpleAtoi(line.substr(colon + 1, end - colon - 1), &port)) {
    return absl::UnavailableError(absl::StrCat("sigd did not report its port: '", line, "'"));
  }
  process.port_ = static_cast<std::uint16_t>(port);
  return process;
}

SigdProcess::SigdProcess(SigdProcess&& other) noexcept : pid_(other.pid_), port_(other.port_) {
  other.pid_ = -1;
}

SigdProcess::~SigdProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void SigdProcess::Signal(int signal) const { kill(pid_, signal); }

absl::StatusOr<int> SigdProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return status;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("sigd did not exit");
}

}  // namespace sig::testing
