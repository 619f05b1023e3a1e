#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sig::core {

// Checks a peer or room name (td names and rooms, PeerJS ids) and returns its canonical form,
// the one under which names are unique: valid UTF-8 of 1 to `max_chars` Unicode code points
// (counted after normalization), none of them a control character (U+0000-U+001F,
// U+007F-U+009F) or a format character (Unicode category Cf: zero-width joiners, bidirectional
// overrides, soft hyphens), normalized to NFC, so that "é" written precomposed or as "e" plus a
// combining accent is one name and "alice" cannot be imitated in a room list. Counting code
// points, not bytes or UTF-16 units, makes the limit the same for every script. InvalidArgument
// says what is wrong. The Unicode tables are ICU's; an ASCII name, the common case, never
// reaches them.
absl::StatusOr<std::string> CanonicalName(std::string_view name, std::size_t max_chars);

// Whether `text` is valid UTF-8 without control characters: what client bytes must be before
// they may reach a JSON string, a proto3 string field or a log line (a PeerJS token, say).
bool IsPrintableUtf8(std::string_view text);

}  // namespace sig::core
