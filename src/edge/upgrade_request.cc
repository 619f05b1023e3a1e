#include "edge/upgrade_request.h"

#include <string_view>

namespace sig::edge {
namespace {

namespace http = boost::beast::http;

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// 16 bytes are 128 bits: 21 characters of 6 bits, one of 2 bits and "==".
bool IsSixteenBytesOfBase64(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22)) {
    if (!IsBase64Char(c)) return false;
  }
  return true;
}

}  // namespace

absl::Status CheckUpgradeRequest(const HttpRequest& request) {
  if (request.count(http::field::upgrade) != 1) {
    return absl::InvalidArgumentError("exactly one Upgrade header is required");
  }
  if (request.count(http::field::sec_websocket_key) != 1) {
    return absl::InvalidArgumentError("exactly one Sec-WebSocket-Key header is required");
  }
  const auto key = request.find(http::field::sec_websocket_key)->value();
  if (!IsSixteenBytesOfBase64(std::string_view(key.data(), key.size()))) {
    return absl::InvalidArgumentError("Sec-WebSocket-Key must be 16 bytes in base64");
  }
  return absl::OkStatus();
}

}  // namespace sig::edge
