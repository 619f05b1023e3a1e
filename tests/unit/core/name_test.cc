#include "core/name.h"

#include <string>

#include "gtest/gtest.h"

namespace sig::core {
namespace {

bool Valid(std::string_view name, std::size_t max = 64) { return CanonicalName(name, max).ok(); }

TEST(CanonicalNameTest, AcceptsOneToMaxCharacters) {
  EXPECT_TRUE(Valid("a"));
  EXPECT_TRUE(Valid(std::string(64, 'x')));
  EXPECT_FALSE(Valid(std::string(65, 'x')));
}

TEST(CanonicalNameTest, RejectsEmpty) { EXPECT_FALSE(Valid("")); }

TEST(CanonicalNameTest, CountsCodePointsNotBytes) {
  std::string snowmen;
  for (int i = 0; i < 64; ++i) snowmen += "\xE2\x98\x83";  // U+2603, three bytes each
  EXPECT_TRUE(Valid(snowmen));
  EXPECT_FALSE(Valid(snowmen + "\xE2\x98\x83"));
  std::string emoji;
  for (int i = 0; i < 64; ++i) emoji += "\xF0\x9F\x98\x80";  // U+1F600, four bytes each
  EXPECT_TRUE(Valid(emoji));
}

TEST(CanonicalNameTest, RejectsControlCharacters) {
  EXPECT_FALSE(Valid(std::string("a\0b", 3)));
  EXPECT_FALSE(Valid("a\nb"));
  EXPECT_FALSE(Valid("a\x1f"));
  EXPECT_FALSE(Valid("a\x7f"));
  EXPECT_FALSE(Valid("a\xC2\x85"));  // U+0085, a C1 control
  EXPECT_TRUE(Valid("a b-c_d.e"));
  EXPECT_TRUE(Valid("\xC2\xA0"));  // U+00A0 is not a control character
}

TEST(CanonicalNameTest, RejectsInvalidUtf8) {
  EXPECT_FALSE(Valid("\xFF"));
  EXPECT_FALSE(Valid("\xC0\xAF"));      // overlong
  EXPECT_FALSE(Valid("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(Valid("\xE2\x98"));      // truncated
}

TEST(CanonicalNameTest, RejectsFormatCharacters) {
  EXPECT_FALSE(Valid("ali\xE2\x80\x8B" "ce"));  // U+200B zero width space
  EXPECT_FALSE(Valid("ali\xE2\x80\x8D" "ce"));  // U+200D zero width joiner
  EXPECT_FALSE(Valid("\xE2\x80\xAE" "ecila"));  // U+202E right-to-left override
  EXPECT_FALSE(Valid("\xE2\x81\xA6" "a"));      // U+2066 left-to-right isolate
  EXPECT_FALSE(Valid("a\xC2\xAD" "b"));         // U+00AD soft hyphen
  EXPECT_FALSE(Valid("\xEF\xBB\xBF" "a"));      // U+FEFF byte order mark
  EXPECT_TRUE(Valid("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"));  // Hebrew letters: not format
}

TEST(CanonicalNameTest, NormalizesToNfc) {
  // "é" as e + U+0301 COMBINING ACUTE ACCENT becomes U+00E9.
  auto decomposed = CanonicalName("caf" "e\xCC\x81", 64);
  ASSERT_TRUE(decomposed.ok()) << decomposed.status();
  EXPECT_EQ(*decomposed, "caf\xC3\xA9");
  auto composed = CanonicalName("caf\xC3\xA9", 64);
  ASSERT_TRUE(composed.ok());
  EXPECT_EQ(*composed, *decomposed);
  // U+212B ANGSTROM SIGN is canonically U+00C5.
  EXPECT_EQ(CanonicalName("\xE2\x84\xAB", 64).value_or(""), "\xC3\x85");
  EXPECT_EQ(CanonicalName("alice", 64).value_or(""), "alice");
}

TEST(CanonicalNameTest, CountsAfterNormalization) {
  // Four code points that compose to two: within a limit of 2.
  EXPECT_EQ(CanonicalName("e\xCC\x81" "e\xCC\x81", 2).value_or(""), "\xC3\xA9\xC3\xA9");
  EXPECT_FALSE(Valid("e\xCC\x81" "e\xCC\x81" "e", 2));
}

}  // namespace
}  // namespace sig::core
