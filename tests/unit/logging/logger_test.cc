#include "logging/logger.h"

#include <cstdint>
#include <string>

#include "core/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sig::logging {
namespace {

TEST(LogFormatTest, JsonEscapesAndKeepsNumbersAndTextQuotes) {
  const core::LogField fields[] = {{"name", "a \"b\"\n"}, {"n", 42}};
  const std::string json = FormatJsonLine(core::LogLevel::kWarning, "m\t", fields);
  EXPECT_THAT(json, ::testing::EndsWith(R"("level":"warn","msg":"m\t","name":"a \"b\"\n","n":42})"));
  const core::LogField big[] = {{"big", std::uint64_t{18446744073709551615u}}, {"neg", -3}};
  EXPECT_THAT(FormatJsonLine(core::LogLevel::kInfo, "m", big),
              ::testing::EndsWith(R"("big":18446744073709551615,"neg":-3})"));
  const std::string text = core::FormatTextLine(core::LogLevel::kInfo, "hello", fields);
  EXPECT_THAT(text, ::testing::EndsWith(" I hello name=\"a \\\"b\\\"\n\" n=42"));
  EXPECT_TRUE(ParseLevel("warn").ok());
  EXPECT_FALSE(ParseLevel("verbose").ok());
  EXPECT_FALSE(ParseFormat("xml").ok());
}

}  // namespace
}  // namespace sig::logging
