#include "edge/ws_frame.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sig::edge {
namespace {

using Kind = WsReader::Kind;

constexpr unsigned char kMask[4] = {0x37, 0xfa, 0x21, 0x3d};

// A client frame as a browser sends it: masked, with the length in its shortest form.
std::string ClientFrame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                        std::uint8_t extra_bits = 0) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | extra_bits | opcode));
  const std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((std::uint64_t{n} >> (8 * i)) & 0xFF));
  }
  out.append(reinterpret_cast<const char*>(kMask), 4);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(payload[i] ^ kMask[i % 4]));
  return out;
}

struct Read {
  std::vector<WsReader::Event> events;
  std::vector<std::string> payloads;  // copied: events point into the buffer
  std::size_t consumed = 0;
};

// Feeds `bytes` to `reader` until it needs more or fails.
Read ReadAll(WsReader& reader, std::string& bytes) {
  Read read;
  for (;;) {
    const WsReader::Event event = reader.Next(bytes.data(), bytes.size(), read.consumed);
    read.events.push_back(event);
    read.payloads.emplace_back(event.payload);
    if (event.kind == Kind::kNeedMore || event.kind == Kind::kError) return read;
  }
}

TEST(WsReaderTest, ReadsATextFrameInPlace) {
  WsReader reader(1024);
  std::string bytes = ClientFrame(0x1, R"({"type":"candidate"})");
  std::size_t consumed = 0;
  const WsReader::Event event = reader.Next(bytes.data(), bytes.size(), consumed);
  EXPECT_EQ(event.kind, Kind::kText);
  EXPECT_EQ(event.payload, R"({"type":"candidate"})");
  EXPECT_EQ(event.payload.data(), bytes.data() + 6);  // no copy
  EXPECT_EQ(consumed, bytes.size());
  EXPECT_EQ(reader.Next(bytes.data(), bytes.size(), consumed).kind, Kind::kNeedMore);
}

TEST(WsReaderTest, EveryLengthFormAndEveryCutPoint) {
  for (const std::size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u, 70000u}) {
    const std::string text(n, 'a');
    const std::string frame = ClientFrame(0x1, text);
    // Every prefix of the frame is incomplete, and consumes nothing.
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5},
                            frame.size() - 1}) {
      if (cut >= frame.size()) continue;
      WsReader reader(100000);
      std::string part = frame.substr(0, cut);
      std::size_t consumed = 0;
      EXPECT_EQ(reader.Next(part.data(), part.size(), consumed).kind, Kind::kNeedMore) << n << " " << cut;
      EXPECT_EQ(consumed, 0u);
    }
    WsReader reader(100000);
    std::string bytes = frame;
    std::size_t consumed = 0;
    const WsReader::Event event = reader.Next(bytes.data(), bytes.size(), consumed);
    ASSERT_EQ(event.kind, Kind::kText) << n;
    EXPECT_EQ(event.payload, text);
  }
}

TEST(WsReaderTest, SeveralFramesInOneRead) {
  WsReader reader(1024);
  std::string bytes = ClientFrame(0x1, "one") + ClientFrame(0x9, "ping!") + ClientFrame(0x1, "two") +
                      ClientFrame(0x1, "three").substr(0, 4);
  const Read read = ReadAll(reader, bytes);
  ASSERT_EQ(read.events.size(), 4u);
  EXPECT_EQ(read.payloads[0], "one");
  EXPECT_EQ(read.events[1].kind, Kind::kPing);
  EXPECT_EQ(read.payloads[1], "ping!");
  EXPECT_EQ(read.payloads[2], "two");
  EXPECT_EQ(read.events[3].kind, Kind::kNeedMore);
  EXPECT_EQ(read.consumed, bytes.size() - 4);
}

TEST(WsReaderTest, JoinsFragmentsWithControlFramesBetween) {
  WsReader reader(1024);
  std::string bytes = ClientFrame(0x1, "hel", false) + ClientFrame(0xA, "") +
                      ClientFrame(0x0, "lo ", false) + ClientFrame(0x0, "world");
  const Read read = ReadAll(reader, bytes);
  ASSERT_EQ(read.events.size(), 3u);
  EXPECT_EQ(read.events[0].kind, Kind::kPong);
  EXPECT_EQ(read.events[1].kind, Kind::kText);
  EXPECT_EQ(read.payloads[1], "hello world");
}

TEST(WsReaderTest, FragmentsAlreadyJoinedAreConsumedWhenTheRestIsMissing) {
  WsReader reader(1024);
  std::string first = ClientFrame(0x1, "abc", false);
  std::size_t consumed = 0;
  EXPECT_EQ(reader.Next(first.data(), first.size(), consumed).kind, Kind::kNeedMore);
  EXPECT_EQ(consumed, first.size());
  std::string last = ClientFrame(0x0, "def");
  consumed = 0;
  const WsReader::Event event = reader.Next(last.data(), last.size(), consumed);
  EXPECT_EQ(event.kind, Kind::kText);
  EXPECT_EQ(event.payload, "abcdef");
}

TEST(WsReaderTest, MessageBoundIsExactForWholeAndJoinedMessages) {
  {
    WsReader reader(100);
    std::string ok = ClientFrame(0x1, std::string(100, 'x'));
    std::size_t consumed = 0;
    EXPECT_EQ(reader.Next(ok.data(), ok.size(), consumed).kind, Kind::kText);
    // Refused from the header alone, before the payload arrives.
    std::string big = ClientFrame(0x1, std::string(101, 'x')).substr(0, 8);
    consumed = 0;
    const WsReader::Event event = reader.Next(big.data(), big.size(), consumed);
    EXPECT_EQ(event.kind, Kind::kError);
    EXPECT_EQ(event.code, 1009);
  }
  {
    WsReader reader(100);
    std::string ok = ClientFrame(0x1, std::string(60, 'x'), false) + ClientFrame(0x0, std::string(40, 'x'));
    Read read = ReadAll(reader, ok);
    EXPECT_EQ(read.events[0].kind, Kind::kText);
    EXPECT_EQ(read.payloads[0].size(), 100u);
    std::string big = ClientFrame(0x1, std::string(60, 'x'), false) + ClientFrame(0x0, std::string(41, 'x'));
    read = ReadAll(reader, big);
    EXPECT_EQ(read.events.back().kind, Kind::kError);
    EXPECT_EQ(read.events.back().code, 1009);
  }
}

TEST(WsReaderTest, ProtocolViolationsAre1002) {
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::string unmasked = ClientFrame(0x1, "hi");
  unmasked[1] = static_cast<char>(unmasked[1] & 0x7F);
  std::string long_form_short = ClientFrame(0x1, std::string(10, 'x'));
  long_form_short.replace(1, 1, std::string("\xFE\x00\x0A", 3));  // 126, then length 10
  std::string reserved_close = ClientFrame(0x8, std::string("\x03\xED", 2));  // 1005
  const std::vector<Case> cases = {
      {"reserved bit", ClientFrame(0x1, "hi", true, 0x40)},
      {"opcode 3", ClientFrame(0x3, "hi")},
      {"opcode 0xB", ClientFrame(0xB, "")},
      {"unmasked", unmasked},
      {"fragmented ping", ClientFrame(0x9, "", false)},
      {"ping of 126 bytes", ClientFrame(0x9, std::string(126, 'p'))},
      {"continuation of nothing", ClientFrame(0x0, "x")},
      {"text inside a fragmented message", ClientFrame(0x1, "a", false) + ClientFrame(0x1, "b")},
      {"16-bit length under 126", long_form_short},
      {"close payload of one byte", ClientFrame(0x8, "x")},
      {"close code 1005", reserved_close},
      {"close code 999", ClientFrame(0x8, std::string("\x03\xE7", 2))},
      {"close code 2000", ClientFrame(0x8, std::string("\x07\xD0", 2))},
  };
  for (const Case& c : cases) {
    WsReader reader(1024);
    std::string bytes = c.bytes;
    const Read read = ReadAll(reader, bytes);
    EXPECT_EQ(read.events.back().kind, Kind::kError) << c.name;
    EXPECT_EQ(read.events.back().code, 1002) << c.name;
  }
}

TEST(WsReaderTest, InvalidUtf8Is1007AndBinaryIsNotChecked) {
  const std::string bad = "ok \xC3\x28";
  for (std::string bytes : {ClientFrame(0x1, bad), ClientFrame(0x1, "ok \xC3", false) + ClientFrame(0x0, "\x28"),
                            ClientFrame(0x8, std::string("\x03\xE8", 2) + bad)}) {
    WsReader reader(1024);
    const Read read = ReadAll(reader, bytes);
    EXPECT_EQ(read.events.back().kind, Kind::kError);
    EXPECT_EQ(read.events.back().code, 1007);
  }
  WsReader reader(1024);
  std::string binary = ClientFrame(0x2, bad);
  std::size_t consumed = 0;
  const WsReader::Event event = reader.Next(binary.data(), binary.size(), consumed);
  EXPECT_EQ(event.kind, Kind::kBinary);
  EXPECT_EQ(event.payload, bad);
  // A multi-byte character split across fragments is whole once joined.
  std::string split = ClientFrame(0x1, "caf\xC3", false) + ClientFrame(0x0, "\xA9");
  const Read read = ReadAll(reader, split);
  EXPECT_EQ(read.events[0].kind, Kind::kText);
  EXPECT_EQ(read.payloads[0], "caf\xC3\xA9");
}

TEST(WsReaderTest, CloseCodesAndReasons) {
  WsReader reader(1024);
  std::string bytes = ClientFrame(0x8, "");
  std::size_t consumed = 0;
  WsReader::Event event = reader.Next(bytes.data(), bytes.size(), consumed);
  EXPECT_EQ(event.kind, Kind::kClose);
  EXPECT_EQ(event.code, 1005);
  for (const int code : {1000, 1003, 1007, 1014, 3000, 4999}) {
    const std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    bytes = ClientFrame(0x8, payload + "bye");
    consumed = 0;
    event = reader.Next(bytes.data(), bytes.size(), consumed);
    EXPECT_EQ(event.kind, Kind::kClose) << code;
    EXPECT_EQ(event.code, code);
    EXPECT_EQ(event.payload, "bye");
  }
}

TEST(WsHeaderTest, ServerHeadersUseTheShortestLengthAndNoMask) {
  char header[kMaxWsHeaderBytes];
  EXPECT_EQ(EncodeWsHeader(WsOpcode::kText, 125, header), 2u);
  EXPECT_EQ(static_cast<unsigned char>(header[0]), 0x81);
  EXPECT_EQ(static_cast<unsigned char>(header[1]), 125);
  EXPECT_EQ(EncodeWsHeader(WsOpcode::kText, 126, header), 4u);
  EXPECT_EQ(std::string(header, 4), std::string("\x81\x7E\x00\x7E", 4));
  EXPECT_EQ(EncodeWsHeader(WsOpcode::kText, 65535, header), 4u);
  EXPECT_EQ(EncodeWsHeader(WsOpcode::kBinary, 65536, header), 10u);
  EXPECT_EQ(std::string(header, 10), std::string("\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10));
}

TEST(WsHeaderTest, CloseFramesFitAControlFrame) {
  std::string out;
  AppendWsClose(1005, "ignored", out);
  EXPECT_EQ(out, std::string("\x88\x00", 2));
  out.clear();
  AppendWsClose(4001, "invalid name", out);
  EXPECT_EQ(out, std::string("\x88\x0E\x0F\xA1", 4) + "invalid name");
  out.clear();
  // 200 two-byte characters: cut to 123 bytes, then back to a whole character.
  std::string long_reason;
  for (int i = 0; i < 200; ++i) long_reason += "\xC3\xA9";
  AppendWsClose(1000, long_reason, out);
  EXPECT_EQ(out.size(), 2u + 2u + 122u);
  EXPECT_TRUE(IsUtf8(std::string_view(out).substr(4)));
}

}  // namespace
}  // namespace sig::edge
