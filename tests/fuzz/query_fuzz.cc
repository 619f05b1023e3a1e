// libFuzzer: request-target parsing (Boost.URL) and name validation on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/name.h"
#include "edge/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& [key, value] : sig::edge::ParseQuery(text)) {
    (void)sig::core::ValidateName(key, 64);
    (void)sig::core::ValidateName(value, 64);
  }
  if (sig::edge::TargetPath(text).size() > text.size()) __builtin_trap();
  return 0;
}
