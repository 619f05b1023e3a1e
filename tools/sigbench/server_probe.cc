#include "server_probe.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sig::bench {
namespace {

std::string ProcPath(pid_t pid, const char* leaf) {
  return "/proc/" + std::to_string(pid) + "/" + leaf;
}

}  // namespace

std::optional<double> ServerProbe::CpuSeconds() const {
  if (!enabled()) return std::nullopt;
  std::ifstream in(ProcPath(pid_, "stat"));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the
  // last ')'. utime and stime are fields 14 and 15, in clock ticks.
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  long long utime = 0;
  long long stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<std::int64_t> ServerProbe::RssKib() const {
  if (!enabled()) return std::nullopt;
  std::ifstream in(ProcPath(pid_, "status"));
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      std::int64_t kib = 0;
      if (in >> kib) return kib;
      return std::nullopt;
    }
    in.ignore(1 << 16, '\n');
  }
  return std::nullopt;
}

std::optional<std::int64_t> ServerProbe::OpenFds() const {
  if (!enabled()) return std::nullopt;
  std::error_code ec;
  std::int64_t n = 0;
  for (std::filesystem::directory_iterator it(ProcPath(pid_, "fd"), ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  if (ec) return std::nullopt;
  return n;
}

}  // namespace sig::bench
