#include "logging/logger.h"

#include <memory>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sig::logging {
namespace {

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

spdlog::level::level_enum ToSpdlog(core::LogLevel level) {
  switch (level) {
    case core::LogLevel::kDebug:
      return spdlog::level::debug;
    case core::LogLevel::kInfo:
      return spdlog::level::info;
    case core::LogLevel::kWarning:
      return spdlog::level::warn;
    case core::LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// The logger the sinks below write to: spdlog's, so that its stderr sink serialises lines from
// every thread. Lines are formatted here (the pattern is the message alone).
std::shared_ptr<spdlog::logger>& Logger() {
  static auto* logger = new std::shared_ptr<spdlog::logger>();
  return *logger;
}

void TextSink(core::LogLevel level, std::string_view message,
              std::span<const core::LogField> fields) {
  const std::string line = core::FormatTextLine(level, message, fields);
  Logger()->log(ToSpdlog(level), std::string_view(line));
}

void JsonSink(core::LogLevel level, std::string_view message,
              std::span<const core::LogField> fields) {
  const std::string line = FormatJsonLine(level, message, fields);
  Logger()->log(ToSpdlog(level), std::string_view(line));
}

}  // namespace

absl::StatusOr<Format> ParseFormat(std::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return absl::InvalidArgumentError("expected text or json");
}

absl::StatusOr<core::LogLevel> ParseLevel(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kLevelNames); ++i) {
    if (text == kLevelNames[i]) return static_cast<core::LogLevel>(i);
  }
  return absl::InvalidArgumentError("expected debug, info, warn or error");
}

std::string FormatJsonLine(core::LogLevel level, std::string_view message,
                           std::span<const core::LogField> fields) {
  boost::json::object line;
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = boost::json::string_view(kLevelNames[static_cast<int>(level)].data(),
                                           kLevelNames[static_cast<int>(level)].size());
  line["msg"] = boost::json::string_view(message.data(), message.size());
  for (const core::LogField& field : fields) {
    const boost::json::string_view key(field.key.data(), field.key.size());
    std::int64_t signed_value = 0;
    std::uint64_t unsigned_value = 0;
    const absl::string_view value(field.value.data(), field.value.size());
    if (field.number && absl::SimpleAtoi(value, &signed_value)) {
      line[key] = signed_value;
    } else if (field.number && absl::SimpleAtoi(value, &unsigned_value)) {
      line[key] = unsigned_value;  // above INT64_MAX
    } else {
      line[key] = field.value;
    }
  }
  return boost::json::serialize(line);
}

void Install(Format format, core::LogLevel level) {
  auto logger = std::make_shared<spdlog::logger>(
      "sigd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%v");
  logger->set_level(ToSpdlog(level));
  logger->flush_on(spdlog::level::trace);
  Logger() = std::move(logger);
  core::SetLogSink(format == Format::kJson ? &JsonSink : &TextSink, level);
}

}  // namespace sig::logging
