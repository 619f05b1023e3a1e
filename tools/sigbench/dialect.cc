#include "dialect.h"

#include <charconv>

#include "core/strings.h"

namespace sig::bench {
namespace {

// A realistic ICE candidate; the padding member brings the frame to the requested size.
constexpr std::string_view kCandidate =
    R"("candidate":{"candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx )"
    R"(raddr 0.0.0.0 rport 0 generation 0 ufrag sWvP network-cost 999","sdpMLineIndex":0,)"
    R"("sdpMid":"0"})";
// Bytes of a relay frame besides the padding, the target id and the stamp digits (approximate:
// ids and stamps vary by a few bytes).
constexpr std::size_t kFixedBytes = 60 + kCandidate.size();

}  // namespace

Dialect::Dialect(Kind kind, std::string path, std::string key, std::size_t message_bytes)
    : kind_(kind),
      path_(std::move(path)),
      key_(std::move(key)),
      padding_(message_bytes > kFixedBytes + 32 ? message_bytes - kFixedBytes - 32 : 0, 'x') {}

std::string Dialect::Target(std::string_view id) const {
  if (kind_ == Kind::kTd) return path_;
  return core::StrCat(path_, "?key=", key_, "&id=", id, "&token=t", id);
}

std::optional<std::string> Dialect::Login(std::string_view id, std::string_view room) const {
  if (kind_ == Kind::kPeerJs) return std::nullopt;
  if (room.empty()) return core::StrCat(R"({"type":"login","name":")", id, R"("})");
  return core::StrCat(R"({"type":"login","name":")", id, R"(","room":")", room, R"("})");
}

bool Dialect::IsLoggedIn(std::string_view frame) const {
  return frame.find(kind_ == Kind::kTd ? R"("login_success")" : R"("OPEN")") !=
         std::string_view::npos;
}

bool Dialect::IsRefusal(std::string_view frame) const {
  if (kind_ == Kind::kTd) return frame.find(R"("type":"error")") != std::string_view::npos;
  return frame.find(R"("ID-TAKEN")") != std::string_view::npos ||
         frame.find(R"("ERROR")") != std::string_view::npos;
}

std::string Dialect::Relay(std::string_view to, std::int64_t sent_ns) const {
  if (kind_ == Kind::kTd) {
    return core::StrCat(R"({"type":"candidate","target":")", to, R"(",)", kCandidate,
                        R"(,"pad":")", padding_, R"(","t":)", sent_ns, "}");
  }
  return core::StrCat(R"({"type":"CANDIDATE","dst":")", to, R"(","payload":{"type":"data",)",
                      kCandidate, R"(,"pad":")", padding_, R"(","t":)", sent_ns, "}}");
}

std::string Dialect::Broadcast(std::int64_t sent_ns) const {
  return core::StrCat(R"({"type":"stream_started","t":)", sent_ns, "}");
}

std::string_view Dialect::KeepAlive() const {
  return kind_ == Kind::kTd ? R"({"type":"ping"})" : R"({"type":"HEARTBEAT"})";
}

std::optional<std::int64_t> Dialect::Stamp(std::string_view frame) {
  constexpr std::string_view kKey = R"("t":)";
  const std::size_t at = frame.rfind(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  const char* begin = frame.data() + at + kKey.size();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(begin, frame.data() + frame.size(), value);
  if (ec != std::errc() || end == begin) return std::nullopt;
  return value;
}

}  // namespace sig::bench
