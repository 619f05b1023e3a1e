#include "edge/json_frame.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/strings.h"

namespace sig::edge {

namespace json = boost::json;

// SAX handler for JsonFrame::Parse: tracks depth, captures the wanted top-level members, and
// places each captured value's text. Boost.JSON reports values but not their offsets; it does
// hand over unescaped strings, keys among them, as views into the input. A member's value starts
// after its key's colon and ends before the separator in front of the next key, or before the
// root's closing brace, so the raw text comes from short scans over whitespace around the
// keys. This replaced a second scan over the whole frame (docs/benchmarks.md).
class JsonFrameHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  JsonFrameHandler(JsonFrame& out, std::string_view text,
                   std::initializer_list<std::string_view> keys)
      : out_(out), begin_(text.data()), end_(text.data() + text.size()), keys_(keys) {}

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    if (depth_ == 0) out_.is_object_ = true;
    BeginValue();
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    if (--depth_ == 0) CloseRaw(end_, '}');
    return true;
  }
  bool on_array_begin(json::error_code&) {
    BeginValue();
    ++depth_;
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    --depth_;
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (depth_ == 1) {
      key_.append(s.data(), s.size());
      split_key_ = true;
    }
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (depth_ != 1) return true;
    // Whole and quoted in the input: the key was written without escapes, so its quotes are
    // where the scans start.
    const bool placed = !split_key_ && Quoted(s);
    std::string_view key(s.data(), s.size());
    if (split_key_) {
      key_.append(s.data(), s.size());
      key = key_;
    }
    if (pending_ != nullptr) {
      if (placed) CloseRaw(s.data() - 1, ',');
      pending_ = nullptr;
    }
    current_ = nullptr;
    std::size_t i = 0;
    for (std::string_view wanted : keys_) {
      if (wanted == key) current_ = &out_.fields_[i];
      ++i;
    }
    if (current_ != nullptr) {
      current_->raw = {};
      if (placed) {
        raw_begin_ = ValueStart(s.data() + s.size() + 1);
        pending_ = current_;
      }
    }
    key_.clear();
    split_key_ = false;
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (Capturing()) {
      if (!in_string_) current_->storage.clear();
      in_string_ = true;
      current_->storage.append(s.data(), s.size());
    }
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (Capturing()) {
      JsonFrame::Field& field = *current_;
      if (!in_string_ && Quoted(s)) {
        field.value = std::string_view(s.data(), s.size());
      } else {
        // Escaped (s is Boost.JSON's scratch buffer) or split into parts.
        if (!in_string_) field.storage.clear();
        field.storage.append(s.data(), s.size());
        field.value = field.storage;
      }
      field.present = true;
      field.is_string = true;
      current_ = nullptr;
    }
    in_string_ = false;
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return Scalar(); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return Scalar(); }
  bool on_double(double, json::string_view, json::error_code&) { return Scalar(); }
  bool on_bool(bool, json::error_code&) { return Scalar(); }
  bool on_null(json::error_code&) { return Scalar(); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  bool Capturing() const { return depth_ == 1 && current_ != nullptr; }
  // A non-string value for a wanted key: present, but not a string.
  void BeginValue() {
    if (!Capturing()) return;
    current_->present = true;
    current_->is_string = false;
    current_->value = {};
    current_ = nullptr;
  }
  bool Scalar() {
    BeginValue();
    return true;
  }

  // Whether `s` lies in the input between two quotes, that is, is a string's verbatim text.
  bool Quoted(json::string_view s) const {
    const auto at = reinterpret_cast<std::uintptr_t>(s.data());
    const auto first = reinterpret_cast<std::uintptr_t>(begin_);
    const auto last = reinterpret_cast<std::uintptr_t>(end_);
    if (at <= first || at >= last || s.size() >= last - at) return false;
    // Indexed from the input's start, the one object the bytes are known to be in.
    const std::size_t offset = at - first;
    return begin_[offset - 1] == '"' && begin_[offset + s.size()] == '"';
  }
  // `p` is just past a key's closing quote: the start of its value, past the colon.
  const char* ValueStart(const char* p) const {
    while (p < end_ && JsonFrame::IsSpace(*p)) ++p;
    if (p < end_ && *p == ':') ++p;
    while (p < end_ && JsonFrame::IsSpace(*p)) ++p;
    return p;
  }
  // Ends the pending member's value before `stop`, past whitespace, `separator` and whitespace.
  // On input the parse goes on to reject, this may find no value; the raw text stays empty then.
  void CloseRaw(const char* stop, char separator) {
    if (pending_ == nullptr) return;
    const char* p = stop;
    while (p > raw_begin_ && JsonFrame::IsSpace(p[-1])) --p;
    if (p > raw_begin_ && p[-1] == separator) {
      --p;
      while (p > raw_begin_ && JsonFrame::IsSpace(p[-1])) --p;
      if (p > raw_begin_) {
        pending_->raw = std::string_view(raw_begin_, static_cast<std::size_t>(p - raw_begin_));
      }
    }
    pending_ = nullptr;
  }

  JsonFrame& out_;
  const char* const begin_;
  const char* const end_;
  std::initializer_list<std::string_view> keys_;
  std::size_t depth_ = 0;
  std::string key_;
  bool split_key_ = false;
  JsonFrame::Field* current_ = nullptr;  // the wanted member whose value comes next
  bool in_string_ = false;
  JsonFrame::Field* pending_ = nullptr;  // the placed member whose value's end comes next
  const char* raw_begin_ = nullptr;
};

absl::Status JsonFrame::Parse(std::string_view text,
                              std::initializer_list<std::string_view> keys,
                              std::size_t max_depth) {
  if (keys.size() > kMaxKeys) return absl::InternalError("too many keys for JsonFrame");
  is_object_ = false;
  for (Field& field : fields_) {
    field.present = false;
    field.is_string = false;
    field.value = {};
    field.raw = {};
  }
  json::parse_options options;
  options.max_depth = max_depth;
  json::basic_parser<JsonFrameHandler> parser(options, *this, text, keys);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used != text.size()) ec = json::error::extra_data;
  if (ec) return absl::InvalidArgumentError(core::StrCat("invalid JSON: ", ec.message()));
  return absl::OkStatus();
}

namespace {

std::size_t SkipSpace(std::string_view s, std::size_t i) {
  while (i < s.size() && JsonFrame::IsSpace(s[i])) ++i;
  return i;
}

// `s[i]` is an opening quote; returns the index one past the closing quote. Jumps from quote
// to quote with memchr (long strings such as SDP are most of a frame); a quote after an odd run
// of backslashes is escaped. The byte-by-byte loop this replaces was about a sixth of the relay's
// user-space instructions in callgrind (docs/benchmarks.md).
std::size_t SkipString(std::string_view s, std::size_t i) {
  const char* const first = s.data() + i + 1;  // the string's first content byte
  const char* const end = s.data() + s.size();
  for (const char* p = first; p < end;) {
    const auto* quote = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
    if (quote == nullptr) break;
    std::size_t backslashes = 0;
    for (const char* b = quote; b > first && b[-1] == '\\'; --b) ++backslashes;
    if (backslashes % 2 == 0) return static_cast<std::size_t>(quote + 1 - s.data());
    p = quote + 1;
  }
  return s.size();
}

// The bytes that matter when skipping over an object or array.
constexpr std::array<bool, 256> kNestingBytes = [] {
  std::array<bool, 256> t{};
  for (char c : std::string_view("\"{}[]")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// `s[i]` starts a value; returns the index one past its end.
std::size_t SkipValue(std::string_view s, std::size_t i) {
  if (i >= s.size()) return i;
  if (s[i] == '"') return SkipString(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      while (i < s.size() && !kNestingBytes[static_cast<unsigned char>(s[i])]) ++i;
      if (i == s.size()) break;
      const char c = s[i];
      if (c == '"') {
        i = SkipString(s, i);
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (--depth == 0) {
        return i + 1;
      }
      ++i;
    }
    return s.size();
  }
  // A number, true, false or null: runs to the next delimiter.
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !JsonFrame::IsSpace(s[i])) ++i;
  return i;
}

}  // namespace

void JsonFrame::ForEachMember(std::string_view s,
                              absl::FunctionRef<void(std::string_view, std::string_view)> fn) {
  std::size_t i = SkipSpace(s, 0);
  if (i >= s.size() || s[i] != '{') return;
  i = SkipSpace(s, i + 1);
  while (i < s.size() && s[i] == '"') {
    const std::size_t key_end = SkipString(s, i);
    const std::string_view key = s.substr(i, key_end - i);
    i = SkipSpace(s, key_end);
    if (i >= s.size() || s[i] != ':') return;
    const std::size_t value_begin = SkipSpace(s, i + 1);
    const std::size_t value_end = SkipValue(s, value_begin);
    fn(key, s.substr(value_begin, value_end - value_begin));
    i = SkipSpace(s, value_end);
    if (i < s.size() && s[i] == ',') i = SkipSpace(s, i + 1);
  }
}

bool JsonFrame::KeyIs(std::string_view raw_key, std::string_view name) {
  if (raw_key.find('\\') == std::string_view::npos) {
    return raw_key.size() == name.size() + 2 && raw_key.substr(1, name.size()) == name;
  }
  json::error_code ec;
  json::value v = json::parse(json::string_view(raw_key.data(), raw_key.size()), ec);
  return !ec && v.is_string() && std::string_view(v.get_string()) == name;
}

std::string JsonFrame::Quote(std::string_view s) {
  std::string out;
  AppendQuoted(out, s);
  return out;
}

namespace {

// The bytes a JSON string cannot hold as they are.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> t{};
  for (std::size_t c = 0; c < 0x20; ++c) t[c] = true;
  t['"'] = true;
  t['\\'] = true;
  return t;
}();

}  // namespace

void JsonFrame::AppendQuoted(std::string& out, std::string_view s) {
  // Names and types rarely need escaping; Boost.JSON's serializer (and its allocation) runs only
  // when they do.
  const bool plain = std::none_of(s.begin(), s.end(), [](char c) {
    return kNeedsEscape[static_cast<unsigned char>(c)];
  });
  if (plain) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  out.append(json::serialize(json::string_view(s.data(), s.size())));
}

}  // namespace sig::edge
