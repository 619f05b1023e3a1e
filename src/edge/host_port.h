#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sig::edge {

// A listener's address: an IP literal (no names: a listener binds what it is told) and a port.
struct HostPort {
  std::string host;  // without brackets: "127.0.0.1", "::"
  std::uint16_t port = 0;

  // "host:port", or "[v6]:port" for IPv6, IPv6 written as RFC 5952 does (brackets around it).
  // Refuses a host that is not an IP literal, a missing or out-of-range port.
  static absl::StatusOr<HostPort> Parse(std::string_view text);
};

// "1.2.3.4:80", or "[::1]:80" when `host` is IPv6: how sigd prints and logs every address.
std::string JoinHostPort(std::string_view host, std::uint16_t port);

}  // namespace sig::edge
