#include "testing/sigd_process.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sig::testing {

absl::StatusOr<SigdProcess> SigdProcess::Start(const std::string& binary,
                                               const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {binary, "--host=127.0.0.1", "--port=0",
                                   "--admin_addr=127.0.0.1:0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // sigd's log goes to a file: a node that logs much must not block on a full stderr pipe.
  static std::atomic<int> started{0};
  const std::string log = absl::StrCat(::testing::TempDir(), "/sigd-", getpid(), "-",
                                       started.fetch_add(1), ".log");
  auto child = Subprocess::Start(args, log);
  if (!child.ok()) return child.status();
  SigdProcess sigd(*std::move(child));
  sigd.log_path_ = log;
  // "sigd listening on HOST:PORT", then "sigd admin listening on HOST:PORT" unless the extra
  // arguments turn the admin API off.
  const bool admin = std::find(extra_args.begin(), extra_args.end(), "--admin_addr=") ==
                     extra_args.end();
  std::vector<std::uint16_t*> ports = {&sigd.port_};
  if (admin) ports.push_back(&sigd.admin_port_);
  for (std::uint16_t* port : ports) {
    auto line = sigd.process_.ReadStdoutLine(absl::Seconds(10));
    if (!line.ok()) return line.status();
    std::uint32_t value = 0;
    const auto colon = line->rfind(':');
    if (colon == std::string::npos || !absl::SimpleAtoi(line->substr(colon + 1), &value)) {
      return absl::UnavailableError(absl::StrCat("sigd did not report a port: '", *line, "'"));
    }
    *port = static_cast<std::uint16_t>(value);
  }
  return sigd;
}

std::string SigdProcess::Log() const {
  std::ifstream in(log_path_);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace sig::testing
