// libFuzzer: the td codec on arbitrary frames. Beyond not crashing, a relayed frame must be a
// JSON object whose members are the sender's (minus any "from") plus "from" set by the server.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/limits.h"
#include "edge/td_codec.h"
#include "fuzz/same_json_value.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sig::core::Limits limits;
  static const sig::edge::TdCodec codec(limits);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view sender : {"", "sender"}) {
    const sig::edge::TdCommand cmd = codec.Decode(text, sender);
    if (cmd.kind != sig::edge::TdCommand::Kind::kRelay &&
        cmd.kind != sig::edge::TdCommand::Kind::kBroadcast) {
      continue;
    }
    const std::string& out = cmd.frame;
    boost::json::error_code ec;
    boost::json::value in_value = boost::json::parse(text, ec);
    if (ec) __builtin_trap();  // Decode accepted what Boost.JSON rejects
    boost::json::value out_value = boost::json::parse(out, ec);
    if (ec || !out_value.is_object()) __builtin_trap();  // the splice broke the JSON
    boost::json::object& got = out_value.as_object();
    const auto* from = got.if_contains("from");
    if (from == nullptr || !from->is_string() || from->as_string() != "sender") __builtin_trap();
    // Every other member survives with its value (JSON.parse semantics, last duplicate wins, on
    // both sides). Compared key by key, because in Boost.JSON 1.81 object::erase moves the last
    // member into the hole (order is not kept).
    const boost::json::object& sent = in_value.as_object();
    auto without_from = [](const boost::json::object& o) {
      return o.size() - (o.contains("from") ? 1 : 0);
    };
    if (without_from(sent) != without_from(got)) __builtin_trap();
    for (const auto& member : sent) {
      if (member.key() == "from") continue;
      const auto* relayed = got.if_contains(member.key());
      if (relayed == nullptr || !sig::testing::SameJsonValue(*relayed, member.value())) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
