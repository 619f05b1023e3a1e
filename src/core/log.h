#pragma once

#include <string_view>

#include "core/strings.h"

namespace sig::core {

enum class LogLevel { kInfo, kWarning, kError };

// One line to stderr with a UTC timestamp and level. Thread-safe. A thin facade because Debian's
// Abseil 20220623 has no absl/log; swap the body when it does.
void Log(LogLevel level, std::string_view message);

template <typename... Args>
void LogInfo(const Args&... args) {
  Log(LogLevel::kInfo, StrCat(args...));
}
template <typename... Args>
void LogWarning(const Args&... args) {
  Log(LogLevel::kWarning, StrCat(args...));
}
template <typename... Args>
void LogError(const Args&... args) {
  Log(LogLevel::kError, StrCat(args...));
}

}  // namespace sig::core
