#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sig::core {
namespace {

void StderrSink(LogLevel level, std::string_view message, std::span<const LogField> fields) {
  std::string line = FormatTextLine(level, message, fields);
  line += '\n';
  // One fwrite per line so concurrent lines do not interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::atomic<LogSink> sink{&StderrSink};
std::atomic<LogLevel> min_level{LogLevel::kInfo};

}  // namespace

void SetLogSink(LogSink new_sink, LogLevel level) {
  sink.store(new_sink != nullptr ? new_sink : &StderrSink, std::memory_order_release);
  min_level.store(level, std::memory_order_release);
}

bool LogEnabled(LogLevel level) { return level >= min_level.load(std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view message, std::span<const LogField> fields) {
  if (!LogEnabled(level)) return;
  sink.load(std::memory_order_acquire)(level, message, fields);
}

std::string FormatTextLine(LogLevel level, std::string_view message,
                           std::span<const LogField> fields) {
  static constexpr char kTags[] = {'D', 'I', 'W', 'E'};
  std::string line = StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
      std::string_view(&kTags[static_cast<int>(level)], 1), " ", message);
  for (const LogField& field : fields) {
    line += ' ';
    line.append(field.key);
    line += '=';
    if (field.value.empty() || field.value.find_first_of(" \"=") != std::string::npos) {
      line += '"';
      for (char c : field.value) {
        if (c == '"' || c == '\\') line += '\\';
        line += c;
      }
      line += '"';
    } else {
      line += field.value;
    }
  }
  return line;
}

}  // namespace sig::core
