#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "core/log.h"

namespace sig::logging {

// LOG_FORMAT: text for people ("<time> I message key=value"), json for collectors (one object
// per line: ts, level, msg and the fields).
enum class Format { kText, kJson };

absl::StatusOr<Format> ParseFormat(std::string_view text);            // "text" | "json"
absl::StatusOr<core::LogLevel> ParseLevel(std::string_view text);     // "debug" | "info" | "warn" | "error"

// Routes core::Log to spdlog's stderr logger in `format`, writing lines at `level` and above.
// Call once, at startup, before other threads log.
void Install(Format format, core::LogLevel level);

// One JSON log line (without the newline), as Install's json format writes it.
std::string FormatJsonLine(core::LogLevel level, std::string_view message,
                           std::span<const core::LogField> fields);

}  // namespace sig::logging
