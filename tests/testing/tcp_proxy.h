#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace sig::testing {

// A TCP proxy on 127.0.0.1 and a free port that forwards every connection to 127.0.0.1:`target`,
// on a thread of its own. Freeze() stops it forwarding in both directions while keeping every
// connection open: to both ends the network has gone silent, as in a partition, which neither
// a killed server nor a closed socket can show. Thaw() lets the bytes held back through.
// `prefix` is written to the server first on every connection, as HAProxy writes its PROXY
// protocol header.
class TcpProxy {
 public:
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(std::uint16_t target,
                                                         std::string prefix = {});
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }
  void Freeze() { frozen_.store(true); }
  void Thaw() { frozen_.store(false); }

 private:
  TcpProxy(int listener, std::uint16_t port, std::uint16_t target, std::string prefix);
  void Run();

  const int listener_;
  const std::uint16_t port_;
  const std::uint16_t target_;
  const std::string prefix_;
  std::atomic<bool> frozen_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sig::testing
