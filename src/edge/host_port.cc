#include "edge/host_port.h"

#include <boost/asio/ip/address.hpp>

#include "absl/strings/numbers.h"
#include "core/strings.h"

namespace sig::edge {

absl::StatusOr<HostPort> HostPort::Parse(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError("expected host:port, e.g. 127.0.0.1:9090 or [::1]:9090");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return absl::InvalidArgumentError("the host must be an IP address");
  if (address.is_v6() && !bracketed) {
    return absl::InvalidArgumentError("write an IPv6 address in brackets, e.g. [::1]:9090");
  }
  std::uint32_t number = 0;
  if (!absl::SimpleAtoi(absl::string_view(port.data(), port.size()), &number) || number > 65535) {
    return absl::InvalidArgumentError("a port is 0 to 65535");
  }
  return HostPort{address.to_string(), static_cast<std::uint16_t>(number)};
}

std::string JoinHostPort(std::string_view host, std::uint16_t port) {
  return host.find(':') != std::string_view::npos ? core::StrCat("[", host, "]:", port)
                                                  : core::StrCat(host, ":", port);
}

}  // namespace sig::edge
