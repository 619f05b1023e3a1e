#include "edge/peerjs_codec.h"

#include "core/strings.h"
#include "edge/json_frame.h"

namespace sig::edge {
namespace {

bool IsRelayType(std::string_view type) {
  return type == "OFFER" || type == "ANSWER" || type == "CANDIDATE" || type == "LEAVE" ||
         type == "EXPIRE";
}

// Only these wait for an absent peer; LEAVE and EXPIRE to nobody are dropped (reference).
bool IsHeldType(std::string_view type) {
  return type == "OFFER" || type == "ANSWER" || type == "CANDIDATE";
}

PeerJsCommand Bad(core::BadFrame bad) {
  PeerJsCommand cmd;
  cmd.kind = PeerJsCommand::Kind::kBad;
  cmd.bad_frame = bad;
  return cmd;
}

}  // namespace

PeerJsCommand PeerJsCodec::Decode(std::string_view text, std::string_view src) const {
  enum : std::size_t { kType, kDst, kPayload };
  JsonFrame parsed;
  if (!parsed.Parse(text, {"type", "dst", "payload"}, limits_.max_json_depth).ok()) {
    return Bad(core::BadFrame::kInvalidJson);
  }
  if (!parsed.is_object()) return Bad(core::BadFrame::kInvalidMessage);
  const JsonFrame::Field& type = parsed.field(kType);
  if (!type.is_string) return Bad(core::BadFrame::kMissingType);
  auto typed = [&](PeerJsCommand::Kind kind) {
    PeerJsCommand cmd;
    cmd.kind = kind;
    cmd.type = type.value;
    return cmd;
  };
  if (type.value == "HEARTBEAT") return typed(PeerJsCommand::Kind::kHeartbeat);
  if (!IsRelayType(type.value)) return typed(PeerJsCommand::Kind::kIgnored);
  const JsonFrame::Field& dst = parsed.field(kDst);
  // Includes LEAVE without dst: ignored, never a half-unregistered peer (reference quirk 3).
  if (!dst.is_string || dst.value.empty()) return typed(PeerJsCommand::Kind::kIgnored);

  std::optional<std::string_view> payload;
  if (const JsonFrame::Field& field = parsed.field(kPayload); field.present) {
    payload = field.raw;
    if (payload->empty()) {
      // Not placed by the parse (an escaped key beside it): the scan finds the last one.
      JsonFrame::ForEachMember(text, [&](std::string_view key, std::string_view value) {
        if (JsonFrame::KeyIs(key, "payload")) payload = value;
      });
    }
  }
  PeerJsCommand cmd;
  cmd.kind = PeerJsCommand::Kind::kRelay;
  cmd.type = type.value;
  cmd.dst = dst.value;
  cmd.hold = IsHeldType(cmd.type);
  // Built in place: one allocation for the frame every recipient shares.
  std::string& frame = cmd.frame;
  frame.reserve(48 + cmd.type.size() + src.size() + cmd.dst.size() +
                (payload ? payload->size() : 0));
  frame.append(R"({"type":)");
  JsonFrame::AppendQuoted(frame, cmd.type);
  frame.append(R"(,"src":)");
  JsonFrame::AppendQuoted(frame, src);
  frame.append(R"(,"dst":)");
  JsonFrame::AppendQuoted(frame, cmd.dst);
  if (payload) {
    frame.append(R"(,"payload":)");
    frame.append(*payload);
  }
  frame.push_back('}');
  return cmd;
}

std::string PeerJsCodec::Open() { return R"({"type":"OPEN"})"; }

std::string PeerJsCodec::Error(std::string_view message) {
  return core::StrCat(R"({"type":"ERROR","payload":{"msg":)", JsonFrame::Quote(message), "}}");
}

std::string PeerJsCodec::IdTaken() { return R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})"; }

core::Frame PeerJsCodec::Expired(std::string_view absent, std::string_view sender) const {
  return core::MakeFrame(core::StrCat(R"({"type":"EXPIRE","src":)", JsonFrame::Quote(absent),
                                      R"(,"dst":)", JsonFrame::Quote(sender), "}"),
                         PeerJsType::kExpire);
}

}  // namespace sig::edge
