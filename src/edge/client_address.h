#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The address types only (no sockets, no I/O), for the callers that hold a client's address.
#include <boost/asio/ip/address.hpp>

#include "absl/status/statusor.h"

namespace sig::edge {

// Who a connection is for: the socket's peer, or the client a trusted proxy speaks for.
struct ClientAddress {
  boost::asio::ip::address ip;
  std::uint16_t port = 0;  // 0 when a proxy named the address alone (X-Forwarded-For)

  // "1.2.3.4:5678", "[2001:db8::1]:5678", or without ":port" when the port is not known. An
  // IPv4 address that arrived as IPv4-mapped IPv6 is written as IPv4.
  std::string ToString() const;
};

// The CIDR blocks (TRUSTED_PROXIES) whose peers may say who their clients are, by
// X-Forwarded-For, Forwarded or a PROXY protocol header. From anyone else those are ignored.
class TrustedProxies {
 public:
  // "10.0.0.0/8", "2001:db8::/32", or an address alone (a /32 or /128).
  static absl::StatusOr<TrustedProxies> Parse(const std::vector<std::string>& blocks);

  bool empty() const { return blocks_.empty(); }
  // IPv4-mapped IPv6 addresses match IPv4 blocks.
  bool Contains(const boost::asio::ip::address& address) const;

 private:
  struct Block {
    std::array<std::uint8_t, 16> bytes{};
    unsigned prefix = 0;  // bits
    bool v4 = false;
  };
  std::vector<Block> blocks_;
};

// The client a chain of trusted proxies names. `forwarded` is the Forwarded header (RFC 7239),
// `x_forwarded_for` X-Forwarded-For, each with its repeats joined by commas; Forwarded wins when
// both are there. Proxies append the address they received from, so the chain is read from the
// right: the first address that is not itself a trusted proxy is the client, and what lies
// further left (written by the client, or by proxies nobody trusts) is never believed. nullopt
// when no header names a valid address.
std::optional<ClientAddress> ForwardedClient(std::string_view forwarded,
                                             std::string_view x_forwarded_for,
                                             const TrustedProxies& trusted);

// The PROXY protocol version 2 header (haproxy's proxy-protocol.txt) that HAProxy and nginx
// (`proxy_protocol on`) send before anything else on a connection.
class ProxyHeaderV2 {
 public:
  // The signature, version/command, family and length: always the first 16 bytes.
  static constexpr std::size_t kFixedBytes = 16;
  // The most address and TLV bytes accepted after them (a header is small; TLVs are skipped).
  static constexpr std::size_t kMaxBodyBytes = 512;

  // How many bytes follow the fixed part; an error when `fixed` is not a v2 header.
  static absl::StatusOr<std::size_t> BodyBytes(std::span<const std::uint8_t, kFixedBytes> fixed);

  // The source address of a PROXY command over TCP; nullopt for LOCAL (a health check from the
  // proxy itself) and for families other than TCP over IPv4 or IPv6, where the connection's own
  // address stands. An error when the body is too short for its family.
  static absl::StatusOr<std::optional<ClientAddress>> Source(
      std::span<const std::uint8_t, kFixedBytes> fixed, std::span<const std::uint8_t> body);
};

}  // namespace sig::edge
