#include "edge/json_frame.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sig::edge {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(JsonFrameTest, CapturesTopLevelStrings) {
  auto f = JsonFrame::Parse(R"({"type":"offer","target":"b","x":{"type":"inner"}})",
                            {"type", "target", "name"}, 64);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->is_object());
  EXPECT_TRUE(f->field(0).is_string);
  EXPECT_EQ(f->field(0).value, "offer");
  EXPECT_EQ(f->field(1).value, "b");
  EXPECT_FALSE(f->field(2).present);
}

TEST(JsonFrameTest, DecodesEscapesInKeysAndValues) {
  auto f = JsonFrame::Parse(R"({"ty\u0070e":"caf\u00e9 \ud83d\ude00"})", {"type"}, 64);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->field(0).value, "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(JsonFrameTest, NonStringValuesArePresentButNotStrings) {
  for (const char* text : {R"({"target":1})", R"({"target":null})", R"({"target":{}})",
                           R"({"target":["a"]})", R"({"target":true})"}) {
    auto f = JsonFrame::Parse(text, {"target"}, 64);
    ASSERT_TRUE(f.ok()) << text;
    EXPECT_TRUE(f->field(0).present) << text;
    EXPECT_FALSE(f->field(0).is_string) << text;
  }
}

TEST(JsonFrameTest, LastDuplicateWins) {
  auto f = JsonFrame::Parse(R"({"type":"a","type":"b"})", {"type"}, 64);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->field(0).value, "b");
  f = JsonFrame::Parse(R"({"type":"a","type":5})", {"type"}, 64);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->field(0).is_string);
}

TEST(JsonFrameTest, NonObjectRootsParse) {
  for (const char* text : {"[1,2]", "\"s\"", "42", "null", "true"}) {
    auto f = JsonFrame::Parse(text, {"type"}, 64);
    ASSERT_TRUE(f.ok()) << text;
    EXPECT_FALSE(f->is_object()) << text;
  }
}

TEST(JsonFrameTest, RejectsMalformedInput) {
  for (const char* text : {"", "{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":1} x", "nul",
                           "{\"a\":\"\x01\"}", "{\"a\":01}", "{\"a\":1}{}"}) {
    EXPECT_FALSE(JsonFrame::Parse(text, {"type"}, 64).ok()) << text;
  }
}

TEST(JsonFrameTest, RejectsInvalidUtf8InStrings) {
  EXPECT_FALSE(JsonFrame::Parse("{\"a\":\"\xFF\"}", {"a"}, 64).ok());
  EXPECT_FALSE(JsonFrame::Parse(R"({"a":"\ud800"})", {"a"}, 64).ok());  // lone surrogate
}

TEST(JsonFrameTest, DepthLimitIsExact) {
  auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  EXPECT_TRUE(JsonFrame::Parse(nested(64), {}, 64).ok());
  EXPECT_FALSE(JsonFrame::Parse(nested(65), {}, 64).ok());
  EXPECT_FALSE(JsonFrame::Parse(nested(100000), {}, 64).ok());
}

std::vector<std::pair<std::string, std::string>> Members(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  JsonFrame::ForEachMember(text, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
  });
  return out;
}

TEST(JsonFrameTest, ForEachMemberGivesExactText) {
  EXPECT_THAT(Members(R"( { "a" : 1.50 , "b":{"c":"}\"]"},"d":[1,[2]], "e":"x\"y","f":-0e+0 } )"),
              ElementsAre(Pair(R"("a")", "1.50"), Pair(R"("b")", R"({"c":"}\"]"})"),
                          Pair(R"("d")", "[1,[2]]"), Pair(R"("e")", R"("x\"y")"),
                          Pair(R"("f")", "-0e+0")));
  EXPECT_THAT(Members("{}"), ElementsAre());
}

TEST(JsonFrameTest, DecodeKeyAndQuote) {
  EXPECT_EQ(JsonFrame::DecodeKey(R"("from")"), "from");
  EXPECT_EQ(JsonFrame::DecodeKey(R"("fr\u006fm")"), "from");
  EXPECT_EQ(JsonFrame::Quote("a\"b\\c\n"), R"("a\"b\\c\n")");
}

}  // namespace
}  // namespace sig::edge
