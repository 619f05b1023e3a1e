#pragma once

#include <cstdint>
#include <optional>

#include <sys/types.h>

namespace sig::bench {

// What the kernel says about the server process under load, read from /proc/<pid>. CPU time is
// the server's own (user + system, all threads), so CPU per message does not depend on how fast
// the load client is. Every reading is nullopt without a pid or once the process is gone.
class ServerProbe {
 public:
  explicit ServerProbe(pid_t pid) : pid_(pid) {}

  bool enabled() const { return pid_ > 0; }
  std::optional<double> CpuSeconds() const;
  std::optional<std::int64_t> RssKib() const;
  std::optional<std::int64_t> OpenFds() const;

 private:
  pid_t pid_;
};

}  // namespace sig::bench
