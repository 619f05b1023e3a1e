// libFuzzer: arbitrary bytes as what a client sends after the handshake. The first byte picks
// a read size; the rest is read whole by one WsReader and in pieces of that size by another,
// kept across reads as WsSession keeps them. Both must see the same events, every event must
// lie inside the bytes it came from, and nothing may follow an error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edge/ws_frame.h"

namespace {

using sig::edge::WsReader;

struct Seen {
  WsReader::Kind kind;
  std::string payload;
  std::uint16_t code;
  bool operator==(const Seen&) const = default;
};

constexpr std::size_t kMaxMessage = 1024;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Reads [bytes, bytes + size) until it needs more or fails; returns false after an error.
bool ReadAll(WsReader& reader, std::string& buffer, std::size_t& consumed, std::vector<Seen>& seen) {
  for (;;) {
    const WsReader::Event event = reader.Next(buffer.data(), buffer.size(), consumed);
    Check(consumed <= buffer.size());
    if (event.kind == WsReader::Kind::kNeedMore) return true;
    Check(event.payload.size() <= kMaxMessage);
    seen.push_back({event.kind, std::string(event.payload), event.code});
    if (event.kind == WsReader::Kind::kError) return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = std::size_t{data[0]} % 64 + 1;
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::vector<Seen> whole;
  {
    WsReader reader(kMaxMessage);
    std::string buffer = input;
    std::size_t consumed = 0;
    ReadAll(reader, buffer, consumed, whole);
  }

  std::vector<Seen> pieces;
  WsReader reader(kMaxMessage);
  std::string kept;
  for (std::size_t at = 0; at < input.size(); at += piece) {
    kept.append(input, at, piece);
    std::size_t consumed = 0;
    if (!ReadAll(reader, kept, consumed, pieces)) break;
    kept.erase(0, consumed);
  }
  Check(pieces == whole);
  return 0;
}
