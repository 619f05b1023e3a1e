#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/strings.h"

namespace sig::core {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarning, kError };

// One key=value of a structured log line. Numbers stay numbers in JSON.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <std::integral T>
  LogField(std::string_view k, T v) : key(k), value(std::to_string(v)), number(true) {}

  std::string_view key;
  std::string value;
  bool number = false;
};

// Where log lines go. Installed once at startup (logging::Install: spdlog, text or JSON);
// until then, and in tests, lines go to stderr as text. Must be thread-safe.
using LogSink = void (*)(LogLevel level, std::string_view message,
                         std::span<const LogField> fields);
void SetLogSink(LogSink sink, LogLevel min_level);

// Whether a line at `level` would be written: callers that build fields for debug lines check
// it first, so a disabled level costs one relaxed load.
bool LogEnabled(LogLevel level);

// Writes one line. Thread-safe. Tokens, keys and secrets never go into a message or field.
void Log(LogLevel level, std::string_view message, std::span<const LogField> fields = {});
inline void Log(LogLevel level, std::string_view message,
                std::initializer_list<LogField> fields) {
  Log(level, message, std::span<const LogField>(fields.begin(), fields.size()));
}

// The default sink's text line: "<UTC time> <I|W|E|D> message key=value ...", values with a
// space or a quote quoted.
std::string FormatTextLine(LogLevel level, std::string_view message,
                           std::span<const LogField> fields);

template <typename... Args>
void LogDebug(const Args&... args) {
  if (LogEnabled(LogLevel::kDebug)) Log(LogLevel::kDebug, StrCat(args...));
}
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
