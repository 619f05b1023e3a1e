#include "edge/td_codec.h"

#include "core/strings.h"
#include "core/name.h"
#include "core/protocol.h"
#include "edge/json_frame.h"

namespace sig::edge {
namespace {

constexpr std::string_view kBroadcastTypes[] = {"stream_started", "stream_stopped",
                                                "stream_restored", "page_opened"};

TdCommand Bad(core::BadFrame bad, std::string_view message) {
  TdCommand cmd;
  cmd.kind = TdCommand::Kind::kBadFrame;
  cmd.bad_frame = bad;
  cmd.message = std::string(message);
  return cmd;
}

TdCommand BadLogin(core::LoginRejection rejection, std::string_view message) {
  TdCommand cmd;
  cmd.kind = TdCommand::Kind::kBadLogin;
  cmd.rejection = rejection;
  cmd.message = std::string(message);
  return cmd;
}

std::string Notice(std::string_view type, std::string_view name) {
  return core::StrCat(R"({"type":")", type, R"(","peer":)", JsonFrame::Quote(name), "}");
}

// `text`, an object Decode accepted, with every "from" member dropped and "from": `sender` last.
// Without a "from" to drop, the sender's text is kept whole up to its closing brace.
std::string StampSender(std::string_view text, std::string_view sender, bool has_from) {
  std::string out;
  out.reserve(text.size() + sender.size() + 12);
  if (!has_from) {
    // The root object's closing brace is the text's last byte other than whitespace, and the
    // object is not empty: it has a type.
    const std::size_t brace = text.find_last_of('}');
    out.append(text.substr(0, brace));
    while (!out.empty() && JsonFrame::IsSpace(out.back())) out.pop_back();
    out.push_back(',');
  } else {
    out.push_back('{');
    JsonFrame::ForEachMember(text, [&](std::string_view key, std::string_view value) {
      if (!JsonFrame::KeyIs(key, "from")) core::StrAppend(&out, key, ":", value, ",");
    });
  }
  out.append(R"("from":)");
  JsonFrame::AppendQuoted(out, sender);
  out.push_back('}');
  return out;
}

}  // namespace

bool TdCodec::IsBroadcastType(std::string_view type) {
  for (std::string_view t : kBroadcastTypes) {
    if (t == type) return true;
  }
  return false;
}

TdCommand TdCodec::Decode(std::string_view text, std::string_view sender) const {
  enum : std::size_t { kType, kTarget, kName, kRoom, kFrom, kToken };
  const bool logged_in = !sender.empty();
  JsonFrame parsed;
  if (absl::Status s =
          parsed.Parse(text, {"type", "target", "name", "room", "from", "token"},
                       limits_.max_json_depth);
      !s.ok()) {
    return Bad(core::BadFrame::kInvalidJson, core::ToStd(s.message()));
  }
  if (!parsed.is_object()) {
    return Bad(core::BadFrame::kInvalidMessage, "a message must be a JSON object");
  }
  const JsonFrame::Field& type = parsed.field(kType);
  if (!type.present) return Bad(core::BadFrame::kMissingType, "\"type\" is required");
  if (!type.is_string) {
    return Bad(core::BadFrame::kMissingType, "\"type\" must be a string");
  }

  TdCommand cmd;
  cmd.type = type.value;
  if (cmd.type == "login") {
    if (logged_in) return Bad(core::BadFrame::kAlreadyLoggedIn, "already logged in");
    const JsonFrame::Field& token = parsed.field(kToken);
    if (token.present) {
      if (!token.is_string) {
        return BadLogin(core::LoginRejection::kInvalidToken, "\"token\" must be a string");
      }
      cmd.token = token.value;
    }
    const JsonFrame::Field& name = parsed.field(kName);
    absl::StatusOr<std::string> canonical;
    if (name.present || !token.present) {  // with a token, the name may be left out
      if (!name.is_string) {
        return BadLogin(core::LoginRejection::kInvalidName, "\"name\" must be a string");
      }
      canonical = core::CanonicalName(name.value, limits_.max_name_chars);
      if (!canonical.ok()) {
        return BadLogin(core::LoginRejection::kInvalidName,
                        core::ToStd(canonical.status().message()));
      }
      cmd.name = *std::move(canonical);
    }
    const JsonFrame::Field& room = parsed.field(kRoom);
    if (room.present) {
      if (!room.is_string) {
        return BadLogin(core::LoginRejection::kInvalidRoom, "\"room\" must be a string");
      }
      canonical = core::CanonicalName(room.value, limits_.max_name_chars);
      if (!canonical.ok()) {
        return BadLogin(core::LoginRejection::kInvalidRoom,
                   core::StrCat("room: ", core::ToStd(canonical.status().message())));
      }
      cmd.room = *std::move(canonical);
    }
    cmd.kind = TdCommand::Kind::kLogin;
    return cmd;
  }
  if (!logged_in) {
    return Bad(core::BadFrame::kNotLoggedIn, "the first message must be a login");
  }
  if (cmd.type == "ping") {
    cmd.kind = TdCommand::Kind::kPing;
    return cmd;
  }
  const JsonFrame::Field& target = parsed.field(kTarget);
  if (target.present) {
    if (!target.is_string) {
      return Bad(core::BadFrame::kInvalidTarget, "\"target\" must be a string");
    }
    cmd.kind = TdCommand::Kind::kRelay;
    cmd.target = target.value;
    cmd.frame = StampSender(text, sender, parsed.field(kFrom).present);
    return cmd;
  }
  if (IsBroadcastType(cmd.type)) {
    cmd.kind = TdCommand::Kind::kBroadcast;
    cmd.frame = StampSender(text, sender, parsed.field(kFrom).present);
    return cmd;
  }
  return Bad(core::BadFrame::kUnknownType,
             core::StrCat("unknown message type without a target: ", cmd.type));
}

std::string TdCodec::LoginSuccess(std::string_view name, const std::vector<std::string>& clients,
                                  std::string_view extra) {
  std::string out = core::StrCat(R"({"type":"login_success","id":)", JsonFrame::Quote(name),
                                 R"(,"clients":[)");
  bool first = true;
  for (const std::string& client : clients) {
    if (!first) out.push_back(',');
    first = false;
    out += JsonFrame::Quote(client);
  }
  out += "]";
  out += extra;
  out += "}";
  return out;
}

std::string TdCodec::Pong(std::int64_t unix_millis) {
  return core::StrCat(R"({"type":"pong","timestamp":)", unix_millis, "}");
}

std::string TdCodec::Error(std::string_view code, std::string_view message) {
  return core::StrCat(R"({"type":"error","error":)", JsonFrame::Quote(code), R"(,"message":)",
                      JsonFrame::Quote(message), "}");
}

std::string TdCodec::TargetNotFound(std::string_view target) {
  return core::StrCat(R"({"type":"error","error":"target_not_found","target":)",
                      JsonFrame::Quote(target), R"(,"message":"no peer with that name"})");
}

core::Frame TdCodec::PeerJoined(std::string_view name) const {
  return core::MakeFrame(Notice("peer_connected", name), TdType::kPeerConnected);
}

core::Frame TdCodec::PeerLeft(std::string_view name) const {
  return core::MakeFrame(Notice("peer_disconnected", name), TdType::kPeerDisconnected);
}

std::string TdCodec::Realm(std::string_view room) {
  return core::RealmOf(sig::v1::PROTOCOL_TD, room);
}

}  // namespace sig::edge
