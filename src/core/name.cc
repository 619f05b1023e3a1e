#include "core/name.h"

#include <cstdint>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "core/strings.h"

namespace sig::core {
namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when it is not valid UTF-8
// (overlong forms, surrogates and values above U+10FFFF included).
std::size_t DecodeUtf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Checks every code point of `name`; returns how many there are, or an error. Format
// characters are refused with `names`.
absl::StatusOr<std::size_t> CheckCodePoints(std::string_view name, bool& ascii, bool names = true) {
  std::size_t chars = 0;
  ascii = true;
  for (std::size_t i = 0; i < name.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = DecodeUtf8(name, i, cp);
    if (len == 0) return absl::InvalidArgumentError("name is not valid UTF-8");
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      return absl::InvalidArgumentError("name contains a control character");
    }
    if (cp >= 0x80) {
      ascii = false;
      if (names && u_charType(static_cast<UChar32>(cp)) == U_FORMAT_CHAR) {
        return absl::InvalidArgumentError(
            "name contains an invisible formatting character (Unicode category Cf)");
      }
    }
    ++chars;
    i += len;
  }
  return chars;
}

absl::Status TooLong(std::size_t max_chars) {
  return absl::InvalidArgumentError(StrCat("name is longer than ", max_chars, " characters"));
}

}  // namespace

bool IsPrintableUtf8(std::string_view text) {
  bool ascii = true;
  return CheckCodePoints(text, ascii, /*names=*/false).ok();
}

absl::StatusOr<std::string> CanonicalName(std::string_view name, std::size_t max_chars) {
  if (name.empty()) return absl::InvalidArgumentError("name is empty");
  bool ascii = true;
  absl::StatusOr<std::size_t> chars = CheckCodePoints(name, ascii);
  if (!chars.ok()) return chars.status();
  // ASCII is its own NFC form.
  if (ascii) {
    if (*chars > max_chars) return TooLong(max_chars);
    return std::string(name);
  }
  // NFC mostly composes (fewer code points) and expands a few; a name four times over the
  // limit is refused without normalizing it.
  if (*chars > 4 * max_chars) return TooLong(max_chars);
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(error);
  if (U_FAILURE(error)) return absl::InternalError("ICU has no NFC data");
  const icu::UnicodeString text =
      icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  std::string canonical;
  if (nfc->isNormalized(text, error) && U_SUCCESS(error)) {
    canonical.assign(name);
  } else {
    error = U_ZERO_ERROR;
    const icu::UnicodeString normalized = nfc->normalize(text, error);
    if (U_FAILURE(error)) return absl::InvalidArgumentError("name cannot be normalized");
    normalized.toUTF8String(canonical);
    // Composition can produce no control or format character, but the count changes.
    chars = CheckCodePoints(canonical, ascii);
    if (!chars.ok()) return chars.status();
  }
  if (*chars > max_chars) return TooLong(max_chars);
  return canonical;
}

}  // namespace sig::core
