// libFuzzer: the PeerJS codec on arbitrary frames. A relayed frame must be exactly
// {type, src, dst[, payload]} with src set by the server and the payload equal to the sender's.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/limits.h"
#include "edge/peerjs_codec.h"
#include "fuzz/same_json_value.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sig::core::Limits limits;
  static const sig::edge::PeerJsCodec codec(limits);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const sig::edge::PeerJsCommand cmd = codec.Decode(text, "me");
  if (cmd.kind != sig::edge::PeerJsCommand::Kind::kRelay) return 0;
  boost::json::error_code ec;
  const boost::json::value in = boost::json::parse(text, ec);
  if (ec) __builtin_trap();
  const boost::json::value out = boost::json::parse(cmd.frame, ec);
  if (ec || !out.is_object()) __builtin_trap();
  const boost::json::object& o = out.as_object();
  if (o.at("src") != "me" || o.at("type") != in.at("type") || o.at("dst") != in.at("dst")) {
    __builtin_trap();
  }
  const auto* payload = in.as_object().if_contains("payload");
  const auto* relayed = o.if_contains("payload");
  if ((payload == nullptr) != (relayed == nullptr)) __builtin_trap();
  if (payload != nullptr) {
    if (!sig::testing::SameJsonValue(*payload, *relayed)) __builtin_trap();
    // And verbatim: the relayed payload, the frame's last member, is text of the sender's frame.
    constexpr std::string_view kMember = R"(,"payload":)";
    const std::size_t at = cmd.frame.find(kMember);
    if (at == std::string::npos || cmd.frame.back() != '}') __builtin_trap();
    const std::string_view raw = std::string_view(cmd.frame).substr(
        at + kMember.size(), cmd.frame.size() - at - kMember.size() - 1);
    if (text.find(raw) == std::string_view::npos) __builtin_trap();
  }
  if (o.size() != (payload != nullptr ? 4u : 3u)) __builtin_trap();
  return 0;
}
