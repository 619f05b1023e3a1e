#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sig::edge {

// RFC 6455 opcodes.
enum class WsOpcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// The longest server frame header: two bytes and a 64-bit length.
inline constexpr std::size_t kMaxWsHeaderBytes = 10;
// RFC 6455 5.5: control frame payloads.
inline constexpr std::size_t kMaxControlPayloadBytes = 125;

// Writes the header of an unmasked, unfragmented server frame to `out` (at least
// kMaxWsHeaderBytes long) and returns its length.
std::size_t EncodeWsHeader(WsOpcode opcode, std::size_t payload_bytes, char* out);

// Appends a whole server close frame: `code` and `reason`, the reason cut to fit a control
// frame. Code 1005 ("no status") gives a close frame with an empty payload.
void AppendWsClose(std::uint16_t code, std::string_view reason, std::string& out);
// Appends a whole server ping or pong frame; `payload` is at most kMaxControlPayloadBytes.
void AppendWsControl(WsOpcode opcode, std::string_view payload, std::string& out);

// The server's reader of what a client sends (RFC 6455 section 5): it checks every header
// (masked, no reserved bits since no extension is ever negotiated, known opcodes, control
// frames unfragmented and at most 125 bytes, lengths in their shortest form), unmasks payloads
// in place, joins fragmented messages up to a size bound, and checks that text and close reasons
// are UTF-8. The first violation is an error event carrying the close code to fail the
// connection with (1002, 1007 or 1009); the reader must not be used after it.
//
// It parses from the caller's buffer, so whole frames cost no copy; only the fragments of a
// message in pieces are joined, in a buffer the reader owns.
class WsReader {
 public:
  enum class Kind {
    kNeedMore,  // `data` holds no whole frame any more: keep the unconsumed rest, read more
    kText,
    kBinary,
    kPing,
    kPong,
    kClose,
    kError,
  };
  struct Event {
    Kind kind = Kind::kNeedMore;
    // The message, the control payload, or the close reason; valid until the next call to Next
    // and while the caller's buffer is.
    std::string_view payload;
    // kClose: the peer's code (1005 when its close frame had none). kError: the code to close
    // with; `payload` is then the reason.
    std::uint16_t code = 0;
  };

  explicit WsReader(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Reads the next event from the front of [data, data + size), unmasking in place, and adds
  // the bytes it used to `consumed`. kNeedMore consumes the frames it joined into a message and
  // leaves the incomplete rest.
  Event Next(char* data, std::size_t size, std::size_t& consumed);

 private:
  std::size_t max_message_bytes_;
  std::string fragments_;  // the message being joined, while one is
  bool in_message_ = false;
  bool message_is_text_ = false;
  bool release_fragments_ = false;  // the last event pointed into fragments_
};

// True when [data, data + size) is well-formed UTF-8.
bool IsUtf8(std::string_view text);

}  // namespace sig::edge
