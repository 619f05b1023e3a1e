#include "edge/ws_frame.h"

#include <algorithm>
#include <cstring>

#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include "core/close_code.h"

namespace sig::edge {
namespace {

using Kind = WsReader::Kind;
using Event = WsReader::Event;

Event Error(core::CloseCode code, std::string_view reason) {
  return Event{Kind::kError, reason, core::ToWire(code)};
}

bool IsControl(std::uint8_t opcode) { return (opcode & 0x8) != 0; }

bool IsKnownOpcode(std::uint8_t opcode) {
  switch (static_cast<WsOpcode>(opcode)) {
    case WsOpcode::kContinuation:
    case WsOpcode::kText:
    case WsOpcode::kBinary:
    case WsOpcode::kClose:
    case WsOpcode::kPing:
    case WsOpcode::kPong:
      return true;
  }
  return false;
}

// Codes a peer may send in a close frame: RFC 6455 7.4.1 and the IANA registry (1012-1014),
// and the ranges left to libraries and applications. 1004-1006 and 1015 are never sent.
bool IsValidPeerCloseCode(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

std::uint64_t ReadBigEndian(const unsigned char* p, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | p[i];
  return value;
}

// XORs `size` bytes with the 4-byte mask, eight at a time.
void Unmask(char* data, std::size_t size, const unsigned char* mask) {
  std::uint32_t key32;
  std::memcpy(&key32, mask, 4);
  const std::uint64_t key = (static_cast<std::uint64_t>(key32) << 32) | key32;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= key;
    std::memcpy(data + i, &word, 8);
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ mask[i & 3]);
}

}  // namespace

bool IsUtf8(std::string_view text) {
  return boost::beast::websocket::detail::check_utf8(text.data(), text.size());
}

std::size_t EncodeWsHeader(WsOpcode opcode, std::size_t payload_bytes, char* out) {
  auto* p = reinterpret_cast<unsigned char*>(out);
  p[0] = static_cast<unsigned char>(0x80 | static_cast<std::uint8_t>(opcode));
  if (payload_bytes < 126) {
    p[1] = static_cast<unsigned char>(payload_bytes);
    return 2;
  }
  if (payload_bytes <= 0xFFFF) {
    p[1] = 126;
    p[2] = static_cast<unsigned char>(payload_bytes >> 8);
    p[3] = static_cast<unsigned char>(payload_bytes);
    return 4;
  }
  p[1] = 127;
  const auto length = static_cast<std::uint64_t>(payload_bytes);
  for (int i = 0; i < 8; ++i) p[2 + i] = static_cast<unsigned char>(length >> (56 - 8 * i));
  return 10;
}

void AppendWsControl(WsOpcode opcode, std::string_view payload, std::string& out) {
  payload = payload.substr(0, kMaxControlPayloadBytes);
  char header[kMaxWsHeaderBytes];
  out.append(header, EncodeWsHeader(opcode, payload.size(), header));
  out.append(payload);
}

void AppendWsClose(std::uint16_t code, std::string_view reason, std::string& out) {
  if (code == core::ToWire(core::CloseCode::kNoStatus)) {
    AppendWsControl(WsOpcode::kClose, {}, out);
    return;
  }
  // The reason is cut to fit, and back to a whole UTF-8 sequence.
  reason = reason.substr(0, kMaxControlPayloadBytes - 2);
  while (!reason.empty() && !IsUtf8(reason)) reason.remove_suffix(1);
  std::string payload;
  payload.reserve(2 + reason.size());
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  AppendWsControl(WsOpcode::kClose, payload, out);
}

WsReader::Event WsReader::Next(char* data, std::size_t size, std::size_t& consumed) {
  if (release_fragments_) {
    release_fragments_ = false;
    fragments_.clear();
    // A joined message as large as an SDP offer should not stay with the peer for good.
    if (fragments_.capacity() > 4096) fragments_.shrink_to_fit();
  }
  for (;;) {
    char* const frame = data + consumed;
    const std::size_t available = size - consumed;
    if (available < 2) return {};
    const auto* p = reinterpret_cast<const unsigned char*>(frame);
    const bool fin = (p[0] & 0x80) != 0;
    const std::uint8_t opcode = p[0] & 0x0F;
    if ((p[0] & 0x70) != 0) return Error(core::CloseCode::kProtocolError, "reserved bits set");
    if (!IsKnownOpcode(opcode)) return Error(core::CloseCode::kProtocolError, "unknown opcode");
    if ((p[1] & 0x80) == 0) return Error(core::CloseCode::kProtocolError, "unmasked client frame");
    std::uint64_t length = p[1] & 0x7F;
    std::size_t header_bytes = 2;
    if (length == 126) {
      if (available < 4) return {};
      length = ReadBigEndian(p + 2, 2);
      header_bytes = 4;
      if (length < 126) return Error(core::CloseCode::kProtocolError, "length not in its shortest form");
    } else if (length == 127) {
      if (available < 10) return {};
      length = ReadBigEndian(p + 2, 8);
      header_bytes = 10;
      if (length <= 0xFFFF || (length >> 63) != 0) {
        return Error(core::CloseCode::kProtocolError, "length not in its shortest form");
      }
    }
    if (IsControl(opcode)) {
      if (!fin) return Error(core::CloseCode::kProtocolError, "fragmented control frame");
      if (length > kMaxControlPayloadBytes) {
        return Error(core::CloseCode::kProtocolError, "control frame over 125 bytes");
      }
    } else if (opcode == static_cast<std::uint8_t>(WsOpcode::kContinuation)) {
      if (!in_message_) return Error(core::CloseCode::kProtocolError, "continuation of no message");
    } else if (in_message_) {
      return Error(core::CloseCode::kProtocolError, "new message inside a fragmented one");
    }
    // Checked from the header, before any of the payload is waited for or kept.
    const std::size_t joined =
        opcode == static_cast<std::uint8_t>(WsOpcode::kContinuation) ? fragments_.size() : 0;
    if (!IsControl(opcode) && length > max_message_bytes_ - std::min(max_message_bytes_, joined)) {
      return Error(core::CloseCode::kTooBig, "message too big");
    }
    const std::size_t mask_at = header_bytes;
    header_bytes += 4;
    if (available < header_bytes || available - header_bytes < length) return {};

    char* const payload = frame + header_bytes;
    const auto payload_bytes = static_cast<std::size_t>(length);
    Unmask(payload, payload_bytes, p + mask_at);
    consumed += header_bytes + payload_bytes;
    const std::string_view body(payload, payload_bytes);

    switch (static_cast<WsOpcode>(opcode)) {
      case WsOpcode::kPing:
        return Event{Kind::kPing, body};
      case WsOpcode::kPong:
        return Event{Kind::kPong, body};
      case WsOpcode::kClose: {
        if (body.empty()) return Event{Kind::kClose, {}, core::ToWire(core::CloseCode::kNoStatus)};
        if (body.size() == 1) return Error(core::CloseCode::kProtocolError, "close payload of one byte");
        const auto code = static_cast<std::uint16_t>(
            ReadBigEndian(reinterpret_cast<const unsigned char*>(payload), 2));
        if (!IsValidPeerCloseCode(code)) return Error(core::CloseCode::kProtocolError, "invalid close code");
        const std::string_view reason = body.substr(2);
        if (!IsUtf8(reason)) return Error(core::CloseCode::kInvalidPayload, "close reason is not UTF-8");
        return Event{Kind::kClose, reason, code};
      }
      case WsOpcode::kText:
      case WsOpcode::kBinary:
        message_is_text_ = opcode == static_cast<std::uint8_t>(WsOpcode::kText);
        if (!fin) {
          in_message_ = true;
          fragments_.assign(body);
          continue;
        }
        if (message_is_text_ && !IsUtf8(body)) {
          return Error(core::CloseCode::kInvalidPayload, "text is not UTF-8");
        }
        return Event{message_is_text_ ? Kind::kText : Kind::kBinary, body};
      case WsOpcode::kContinuation:
        fragments_.append(body);
        if (!fin) continue;
        in_message_ = false;
        release_fragments_ = true;
        if (message_is_text_ && !IsUtf8(fragments_)) {
          return Error(core::CloseCode::kInvalidPayload, "text is not UTF-8");
        }
        return Event{message_is_text_ ? Kind::kText : Kind::kBinary, fragments_};
    }
  }
}

}  // namespace sig::edge
