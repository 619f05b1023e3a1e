#include "edge/refusal_log.h"

#include <string>
#include <vector>

#include "core/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "logging/logger.h"

namespace sig::edge {
namespace {

using ::testing::ElementsAre;

std::vector<std::string>* captured = nullptr;

void Capture(core::LogLevel level, std::string_view message, std::span<const core::LogField> fields) {
  captured->push_back(logging::FormatJsonLine(level, message, fields).substr(33));  // past {"ts":"...",
}

class RefusalLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    captured = &lines_;
    core::SetLogSink(&Capture, core::LogLevel::kInfo);
  }
  void TearDown() override {
    core::SetLogSink(nullptr, core::LogLevel::kInfo);
    captured = nullptr;
  }
  std::vector<std::string> lines_;
  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
};

TEST_F(RefusalLogTest, AStormIsLoggedOncePerEpisodeWithItsCount) {
  RefusalLog log;
  for (int i = 0; i < 1000; ++i) {
    log.Refused(core::LoginRejection::kMaxConnections, now_);
    log.Admitted(now_);  // others still get in: the episode goes on
    now_ += absl::Milliseconds(10);
  }
  // 10 s of refusals, then a reminder a minute into it.
  now_ += absl::Seconds(51);
  log.Refused(core::LoginRejection::kMaxConnections, now_);
  now_ += absl::Seconds(10);
  log.Admitted(now_);  // quiet for kQuiet: over
  log.Admitted(now_);
  EXPECT_THAT(lines_,
              ElementsAre(R"("level":"warn","msg":"refusing WebSocket upgrades","reason":"max_connections"})",
                          R"("level":"warn","msg":"still refusing WebSocket upgrades","reason":"max_connections","refused":1001,"for":"1m1s"})",
                          R"("level":"info","msg":"no longer refusing WebSocket upgrades","reason":"max_connections","refused":1001,"for":"1m1s"})"));
}

}  // namespace
}  // namespace sig::edge
