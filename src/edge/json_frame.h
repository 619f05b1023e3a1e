#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace sig::edge {

// The top-level members of one JSON text frame that routing needs, validated and decoded by
// Boost.JSON's SAX parser in one pass (no DOM, no allocation unless a wanted string has escapes).
// Everything else in the frame is checked for syntax and depth but left as text, so it can
// travel verbatim. A JsonFrame refers into the text it parsed and into itself: it is neither
// copied nor moved, and the text must outlive it.
class JsonFrame {
 public:
  static constexpr std::size_t kMaxKeys = 6;

  struct Field {
    bool present = false;
    bool is_string = false;
    // Decoded; set only when is_string. Points into the parsed text, or into the frame's own
    // storage when the string had escapes.
    std::string_view value;
    // The value's exact text within the parsed text, whatever its kind. Empty when the parser
    // cannot place it, which happens only next to a key written with escapes; ForEachMember
    // finds it then.
    std::string_view raw;
    std::string storage;  // the decoded text of an escaped or split string
  };

  JsonFrame() = default;
  JsonFrame(const JsonFrame&) = delete;
  JsonFrame& operator=(const JsonFrame&) = delete;

  // Parses all of `text`, replacing what an earlier Parse captured. InvalidArgument for
  // malformed JSON, invalid UTF-8 in a string, or nesting deeper than `max_depth`. A root that
  // is not an object parses; is_object() says so. `keys` are the top-level member names to
  // capture (at most kMaxKeys); a duplicated key keeps its last value, as JSON.parse does.
  absl::Status Parse(std::string_view text, std::initializer_list<std::string_view> keys,
                     std::size_t max_depth);

  bool is_object() const { return is_object_; }

  // The member captured for keys[i] of Parse.
  const Field& field(std::size_t i) const { return fields_[i]; }

  // Calls `fn(raw_key, raw_value)` for each top-level member of `object_text`, an object that
  // Parse accepted, with the key as written (quotes included) and the value's exact text. This is
  // what lets a relay keep numbers and unicode exactly as the sender wrote them: Boost.JSON's
  // parser reports values but not their byte offsets.
  static void ForEachMember(std::string_view object_text,
                            absl::FunctionRef<void(std::string_view, std::string_view)> fn);

  // Whether a raw, quoted key (from ForEachMember) spells `name`, escapes decoded.
  static bool KeyIs(std::string_view raw_key, std::string_view name);

  // JSON's whitespace: space, tab, line feed, carriage return.
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  // `s` as a JSON string literal, quoted and escaped.
  static std::string Quote(std::string_view s);
  // Appends Quote(s) to `out` without a temporary.
  static void AppendQuoted(std::string& out, std::string_view s);

 private:
  friend class JsonFrameHandler;
  bool is_object_ = false;
  std::array<Field, kMaxKeys> fields_;
};

}  // namespace sig::edge
