#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace sig::edge {

// The top-level members of one JSON text frame that routing needs, validated and decoded by
// Boost.JSON's SAX parser (no DOM, no allocation for short values). Everything else in the frame
// is checked for syntax and depth but left as text, so it can travel verbatim.
class JsonFrame {
 public:
  static constexpr std::size_t kMaxKeys = 8;

  struct Field {
    bool present = false;
    bool is_string = false;
    std::string value;  // decoded; set only when is_string
  };

  // Parses all of `text`. InvalidArgument for malformed JSON, invalid UTF-8 in a string, or
  // nesting deeper than `max_depth`. A root that is not an object parses; is_object() says so.
  // `keys` are the top-level member names to capture (at most kMaxKeys); a duplicated key keeps
  // its last value, as JSON.parse does.
  static absl::StatusOr<JsonFrame> Parse(std::string_view text,
                                         std::initializer_list<std::string_view> keys,
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

  // The key a raw, quoted key (from ForEachMember) spells, escapes decoded.
  static std::string DecodeKey(std::string_view raw_key);

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
