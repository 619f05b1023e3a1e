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

// A frame parsed from `text`, which the frame refers into: both live as long as the result.
struct Parsed {
  Parsed(std::string s, std::initializer_list<std::string_view> keys, std::size_t depth)
      : text(std::move(s)), status(frame.Parse(text, keys, depth)) {}
  bool ok() const { return status.ok(); }
  const JsonFrame* operator->() const { return &frame; }

  std::string text;
  JsonFrame frame;
  absl::Status status;
};

TEST(JsonFrameTest, CapturesTopLevelStrings) {
  Parsed f(R"({"type":"offer","target":"b","x":{"type":"inner"}})",
                            {"type", "target", "name"}, 64);
  ASSERT_TRUE(f.ok()) << f.status;
  EXPECT_TRUE(f->is_object());
  EXPECT_TRUE(f->field(0).is_string);
  EXPECT_EQ(f->field(0).value, "offer");
  EXPECT_EQ(f->field(1).value, "b");
  EXPECT_FALSE(f->field(2).present);
}

TEST(JsonFrameTest, DecodesEscapesInKeysAndValues) {
  Parsed f(R"({"ty\u0070e":"caf\u00e9 \ud83d\ude00"})", {"type"}, 64);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->field(0).value, "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(JsonFrameTest, NonStringValuesArePresentButNotStrings) {
  for (const char* text : {R"({"target":1})", R"({"target":null})", R"({"target":{}})",
                           R"({"target":["a"]})", R"({"target":true})"}) {
    Parsed f(text, {"target"}, 64);
    ASSERT_TRUE(f.ok()) << text;
    EXPECT_TRUE(f->field(0).present) << text;
    EXPECT_FALSE(f->field(0).is_string) << text;
  }
}

TEST(JsonFrameTest, LastDuplicateWins) {
  Parsed f(R"({"type":"a","type":"b"})", {"type"}, 64);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->field(0).value, "b");
  Parsed g(R"({"type":"a","type":5})", {"type"}, 64);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->field(0).is_string);
}

TEST(JsonFrameTest, NonObjectRootsParse) {
  for (const char* text : {"[1,2]", "\"s\"", "42", "null", "true"}) {
    Parsed f(text, {"type"}, 64);
    ASSERT_TRUE(f.ok()) << text;
    EXPECT_FALSE(f->is_object()) << text;
  }
}

TEST(JsonFrameTest, RejectsMalformedInput) {
  for (const char* text : {"", "{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":1} x", "nul",
                           "{\"a\":\"\x01\"}", "{\"a\":01}", "{\"a\":1}{}"}) {
    EXPECT_FALSE(Parsed(text, {"type"}, 64).ok()) << text;
  }
}

TEST(JsonFrameTest, RejectsInvalidUtf8InStrings) {
  EXPECT_FALSE(Parsed("{\"a\":\"\xFF\"}", {"a"}, 64).ok());
  EXPECT_FALSE(Parsed(R"({"a":"\ud800"})", {"a"}, 64).ok());  // lone surrogate
}

TEST(JsonFrameTest, DepthLimitIsExact) {
  auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  EXPECT_TRUE(Parsed(nested(64), {}, 64).ok());
  EXPECT_FALSE(Parsed(nested(65), {}, 64).ok());
  EXPECT_FALSE(Parsed(nested(100000), {}, 64).ok());
}

TEST(JsonFrameTest, PlacesTheExactTextOfEachCapturedValue) {
  Parsed f(R"( { "a" : 1.50 , "b":{"c":"}\"]"} ,"d":[1,[2]], "e":"x\"y","f":-0e+0 } )",
           {"a", "b", "d", "e", "f"}, 64);
  ASSERT_TRUE(f.ok()) << f.status;
  EXPECT_EQ(f->field(0).raw, "1.50");
  EXPECT_EQ(f->field(1).raw, R"({"c":"}\"]"})");
  EXPECT_EQ(f->field(2).raw, "[1,[2]]");
  EXPECT_EQ(f->field(3).raw, R"("x\"y")");
  EXPECT_EQ(f->field(3).value, "x\"y");
  EXPECT_EQ(f->field(4).raw, "-0e+0");
  // The raw text points into the parsed text, and so does an unescaped string's value.
  EXPECT_EQ(f->field(0).raw.data(), f.text.data() + f.text.find("1.50"));
  Parsed g(R"({"a":"plain"})", {"a"}, 64);
  EXPECT_EQ(g->field(0).value.data(), g.text.data() + 6);
}

TEST(JsonFrameTest, CapturesAtMostMaxKeys) {
  static_assert(JsonFrame::kMaxKeys == 6, "the keys below are kMaxKeys, then one more");
  JsonFrame frame;
  const std::string text = R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7})";
  EXPECT_TRUE(frame.Parse(text, {"a", "b", "c", "d", "e", "f"}, 64).ok());
  EXPECT_EQ(frame.field(5).raw, "6");
  EXPECT_EQ(frame.Parse(text, {"a", "b", "c", "d", "e", "f", "g"}, 64).code(),
            absl::StatusCode::kInternal);
}

TEST(JsonFrameTest, RawTextOfALaterDuplicate) {
  Parsed f(R"({"a":1,"b":2,"a":[3]})", {"a"}, 64);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->field(0).raw, "[3]");
}

TEST(JsonFrameTest, AnEscapedKeyLeavesItsNeighboursUnplaced) {
  // Boost.JSON decodes an escaped key into its own buffer, so the key's place is unknown: the
  // value before it has no end, its own value no start. Callers fall back to ForEachMember.
  Parsed f(R"({"a":1,"\u0062":2,"c":3})", {"a", "b", "c"}, 64);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->field(0).present);
  EXPECT_EQ(f->field(0).raw, "");
  EXPECT_TRUE(f->field(1).present);
  EXPECT_EQ(f->field(1).raw, "");
  EXPECT_EQ(f->field(2).raw, "3");
  // A later escaped duplicate replaces an earlier placed value with an unplaced one.
  Parsed g(R"({"a":1,"\u0061":2})", {"a"}, 64);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->field(0).raw, "");
}

TEST(JsonFrameTest, ParseAgainForgetsThePreviousFrame) {
  JsonFrame frame;
  const std::string first = R"({"a":"x\n","b":1})";
  ASSERT_TRUE(frame.Parse(first, {"a", "b"}, 64).ok());
  EXPECT_EQ(frame.field(0).value, "x\n");
  const std::string second = R"({"b":2})";
  ASSERT_TRUE(frame.Parse(second, {"a", "b"}, 64).ok());
  EXPECT_FALSE(frame.field(0).present);
  EXPECT_EQ(frame.field(0).value, "");
  EXPECT_EQ(frame.field(1).raw, "2");
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

TEST(JsonFrameTest, KeyIsAndQuote) {
  EXPECT_TRUE(JsonFrame::KeyIs(R"("from")", "from"));
  EXPECT_TRUE(JsonFrame::KeyIs(R"("fr\u006fm")", "from"));
  EXPECT_FALSE(JsonFrame::KeyIs(R"("fromx")", "from"));
  EXPECT_FALSE(JsonFrame::KeyIs(R"("fr\u006f")", "from"));
  EXPECT_FALSE(JsonFrame::KeyIs(R"("")", "from"));
  EXPECT_EQ(JsonFrame::Quote("a\"b\\c\n"), R"("a\"b\\c\n")");
}

}  // namespace
}  // namespace sig::edge
