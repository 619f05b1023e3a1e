// libFuzzer: request-target parsing (Boost.URL) and name canonicalization on arbitrary bytes.
// Oracles: the path is a part of the target; a name's canonical form is printable UTF-8, is its
// own canonical form, and is refused only if the name was (canonicalization never makes a valid
// name invalid).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/name.h"
#include "edge/query.h"

namespace {

void CheckName(std::string_view name) {
  const auto canonical = sig::core::CanonicalName(name, 64);
  if (!canonical.ok()) return;
  if (!sig::core::IsPrintableUtf8(name) || !sig::core::IsPrintableUtf8(*canonical)) {
    __builtin_trap();
  }
  const auto again = sig::core::CanonicalName(*canonical, 64);
  if (!again.ok() || *again != *canonical) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& [key, value] : sig::edge::ParseQuery(text)) {
    CheckName(key);
    CheckName(value);
  }
  CheckName(text);
  if (sig::edge::TargetPath(text).size() > text.size()) __builtin_trap();
  return 0;
}
