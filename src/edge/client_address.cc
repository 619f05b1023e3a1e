#include "edge/client_address.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "core/strings.h"
#include "edge/host_port.h"

namespace sig::edge {
namespace {

namespace ip = boost::asio::ip;

ip::address Unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<ip::address> ParseIp(std::string_view text) {
  boost::system::error_code ec;
  const ip::address address = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return Unmapped(address);
}

// One node of Forwarded's for= (RFC 7239 6): 1.2.3.4, "1.2.3.4:80", "[2001:db8::1]:80";
// obfuscated names ("_hidden", "unknown") are not addresses.
std::optional<ClientAddress> ParseNode(std::string_view node) {
  node = Trim(node);
  if (node.size() >= 2 && node.front() == '"' && node.back() == '"') {
    node = node.substr(1, node.size() - 2);
  }
  std::uint16_t port = 0;
  std::string_view host = node;
  if (!node.empty() && node.front() == '[') {
    const std::size_t close = node.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = node.substr(1, close - 1);
    const std::string_view rest = node.substr(close + 1);
    if (!rest.empty()) {
      std::uint32_t number = 0;
      if (rest.front() != ':' ||
          !absl::SimpleAtoi(absl::string_view(rest.data() + 1, rest.size() - 1), &number) ||
          number > 65535) {
        return std::nullopt;
      }
      port = static_cast<std::uint16_t>(number);
    }
  } else if (std::count(node.begin(), node.end(), ':') == 1) {  // IPv4 with a port
    const std::size_t colon = node.find(':');
    host = node.substr(0, colon);
    std::uint32_t number = 0;
    if (!absl::SimpleAtoi(absl::string_view(node.data() + colon + 1, node.size() - colon - 1),
                          &number) ||
        number > 65535) {
      return std::nullopt;
    }
    port = static_cast<std::uint16_t>(number);
  }
  const std::optional<ip::address> address = ParseIp(host);
  if (!address) return std::nullopt;
  return ClientAddress{*address, port};
}

// `text` cut at every `separator`, empty parts kept.
std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// The for= values of a Forwarded header (elements by ',', pairs by ';'), left to right.
std::vector<std::string_view> ForwardedFors(std::string_view header) {
  std::vector<std::string_view> fors;
  for (std::string_view element : Split(header, ',')) {
    for (std::string_view pair : Split(element, ';')) {
      pair = Trim(pair);
      if (pair.size() > 4 && absl::EqualsIgnoreCase(absl::string_view(pair.data(), 4), "for=")) {
        fors.push_back(pair.substr(4));
      }
    }
  }
  return fors;
}

constexpr std::uint8_t kSignature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                         0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

}  // namespace

std::string ClientAddress::ToString() const {
  const ip::address shown = Unmapped(ip);
  if (port != 0) return JoinHostPort(shown.to_string(), port);
  return shown.is_v6() ? core::StrCat("[", shown.to_string(), "]") : shown.to_string();
}

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& blocks) {
  TrustedProxies trusted;
  for (const std::string& text : blocks) {
    const std::string_view entry = Trim(text);
    if (entry.empty()) continue;
    const std::size_t slash = entry.find('/');
    const std::optional<ip::address> address = ParseIp(entry.substr(0, slash));
    if (!address) {
      return absl::InvalidArgumentError(
          core::StrCat(entry, " is not a CIDR block such as 10.0.0.0/8 or fd00::/8"));
    }
    Block block;
    block.v4 = address->is_v4();
    const unsigned bits = block.v4 ? 32 : 128;
    block.prefix = bits;
    if (slash != std::string_view::npos) {
      const std::string_view prefix = entry.substr(slash + 1);
      if (!absl::SimpleAtoi(absl::string_view(prefix.data(), prefix.size()), &block.prefix) ||
          block.prefix > bits) {
        return absl::InvalidArgumentError(
            core::StrCat(entry, ": the prefix length is 0 to ", bits));
      }
    }
    if (block.v4) {
      const auto bytes = address->to_v4().to_bytes();
      std::copy(bytes.begin(), bytes.end(), block.bytes.begin());
    } else {
      block.bytes = address->to_v6().to_bytes();
    }
    trusted.blocks_.push_back(block);
  }
  return trusted;
}

bool TrustedProxies::Contains(const ip::address& raw) const {
  const ip::address address = Unmapped(raw);
  std::array<std::uint8_t, 16> bytes{};
  if (address.is_v4()) {
    const auto v4 = address.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes.begin());
  } else {
    bytes = address.to_v6().to_bytes();
  }
  for (const Block& block : blocks_) {
    if (block.v4 != address.is_v4()) continue;
    const unsigned whole = block.prefix / 8;
    const unsigned rest = block.prefix % 8;
    if (!std::equal(bytes.begin(), bytes.begin() + whole, block.bytes.begin())) continue;
    if (rest != 0) {
      const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
      if ((bytes[whole] & mask) != (block.bytes[whole] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::optional<ClientAddress> ForwardedClient(std::string_view forwarded,
                                             std::string_view x_forwarded_for,
                                             const TrustedProxies& trusted) {
  const std::vector<std::string_view> chain =
      !forwarded.empty() ? ForwardedFors(forwarded) : Split(x_forwarded_for, ',');
  std::optional<ClientAddress> client;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    std::optional<ClientAddress> hop = ParseNode(*it);
    // An entry that is not an address ends the chain: nothing left of it can be vouched for.
    if (!hop) break;
    client = hop;
    if (!trusted.Contains(hop->ip)) break;
  }
  return client;
}

absl::StatusOr<std::size_t> ProxyHeaderV2::BodyBytes(
    std::span<const std::uint8_t, kFixedBytes> fixed) {
  if (std::memcmp(fixed.data(), kSignature, sizeof kSignature) != 0) {
    return absl::InvalidArgumentError("not a PROXY protocol v2 header");
  }
  if ((fixed[12] >> 4) != 2 || (fixed[12] & 0x0F) > 1) {
    return absl::InvalidArgumentError("PROXY protocol: unknown version or command");
  }
  const std::size_t length = (std::size_t{fixed[14]} << 8) | fixed[15];
  if (length > kMaxBodyBytes) return absl::InvalidArgumentError("PROXY protocol: header too long");
  return length;
}

absl::StatusOr<std::optional<ClientAddress>> ProxyHeaderV2::Source(
    std::span<const std::uint8_t, kFixedBytes> fixed, std::span<const std::uint8_t> body) {
  if ((fixed[12] & 0x0F) == 0) return std::optional<ClientAddress>();  // LOCAL
  const auto port_at = [&](std::size_t at) {
    return static_cast<std::uint16_t>((body[at] << 8) | body[at + 1]);
  };
  switch (fixed[13]) {
    case 0x11: {  // TCP over IPv4: source, destination, source port, destination port
      if (body.size() < 12) return absl::InvalidArgumentError("PROXY protocol: short IPv4 body");
      ip::address_v4::bytes_type bytes;
      std::copy_n(body.begin(), 4, bytes.begin());
      return std::optional<ClientAddress>(ClientAddress{ip::address_v4(bytes), port_at(8)});
    }
    case 0x21: {  // TCP over IPv6
      if (body.size() < 36) return absl::InvalidArgumentError("PROXY protocol: short IPv6 body");
      ip::address_v6::bytes_type bytes;
      std::copy_n(body.begin(), 16, bytes.begin());
      return std::optional<ClientAddress>(
          ClientAddress{Unmapped(ip::address_v6(bytes)), port_at(32)});
    }
    default:
      return std::optional<ClientAddress>();
  }
}

}  // namespace sig::edge
