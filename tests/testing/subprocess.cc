#include "testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "absl/time/clock.h"

namespace sig::testing {

absl::StatusOr<Subprocess> Subprocess::Start(const std::vector<std::string>& args,
                                             const std::string& stderr_file) {
  int out[2];
  int err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  if (!stderr_file.empty()) {
    err[1] = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  } else if (pipe2(err, O_CLOEXEC) != 0) {
    err[1] = -1;
  }
  if (err[1] < 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError("stderr: pipe or file failed");
  }
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // A test that crashes leaves no server behind: the child dies with the thread that forked it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  Subprocess child(pid, out[0], err[0]);
  child.stderr_file_ = stderr_file;
  return child;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      err_fd_(std::exchange(other.err_fd_, -1)),
      stderr_file_(std::move(other.stderr_file_)),
      out_buffer_(std::move(other.out_buffer_)),
      err_buffer_(std::move(other.err_buffer_)) {}

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

absl::StatusOr<std::string> Subprocess::ReadLine(int fd, std::string& buffer, absl::Time deadline) {
  for (;;) {
    if (const auto end = buffer.find('\n'); end != std::string::npos) {
      std::string line = buffer.substr(0, end);
      buffer.erase(0, end + 1);
      return line;
    }
    pollfd pfd{fd, POLLIN, 0};
    const auto wait_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (wait_ms <= 0 || poll(&pfd, 1, static_cast<int>(wait_ms)) <= 0) {
      return absl::DeadlineExceededError(absl::StrCat("no line from the child; so far: '", buffer, "'"));
    }
    char chunk[4096];
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return absl::OutOfRangeError(absl::StrCat("end of output; rest: '", buffer, "'"));
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

absl::StatusOr<std::string> Subprocess::ReadStdoutLine(absl::Duration timeout) {
  return ReadLine(out_fd_, out_buffer_, absl::Now() + timeout);
}

absl::StatusOr<std::string> Subprocess::ReadStderrLine(absl::Duration timeout) {
  return ReadLine(err_fd_, err_buffer_, absl::Now() + timeout);
}

void Subprocess::Signal(int signal) const { kill(pid_, signal); }

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
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
  return absl::DeadlineExceededError("the child did not exit");
}

absl::Status Subprocess::ReadToEnd(int fd, std::string& buffer, absl::Time deadline,
                                   std::string& out) {
  for (;;) {
    auto line = ReadLine(fd, buffer, deadline);
    if (!line.ok()) {
      if (!absl::IsOutOfRange(line.status())) return line.status();
      out += std::exchange(buffer, {});  // the last line, without its newline
      return absl::OkStatus();
    }
    out += *line + "\n";
  }
}

absl::StatusOr<Subprocess::Result> Subprocess::Finish(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  Result result;
  if (absl::Status s = ReadToEnd(out_fd_, out_buffer_, deadline, result.out); !s.ok()) return s;
  // stdout is closed: what the child wrote to a stderr pipe follows it.
  if (err_fd_ >= 0) {
    if (absl::Status s = ReadToEnd(err_fd_, err_buffer_, deadline, result.err); !s.ok()) return s;
  }
  auto status = Wait(deadline - absl::Now());
  if (!status.ok()) return status.status();
  if (!stderr_file_.empty()) {
    std::ifstream in(stderr_file_);
    result.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  result.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  return result;
}

Subprocess::Result RunToEnd(const std::vector<std::string>& args, absl::Duration timeout) {
  auto child = Subprocess::Start(args);
  if (!child.ok()) {
    ADD_FAILURE() << args.front() << ": " << child.status();
    return {};
  }
  auto result = child->Finish(timeout);
  if (!result.ok()) {
    ADD_FAILURE() << args.front() << ": " << result.status();
    return {};
  }
  return *std::move(result);
}

}  // namespace sig::testing
