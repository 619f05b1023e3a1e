#include "core/name.h"

#include <string>

#include "gtest/gtest.h"

namespace sig::core {
namespace {

TEST(ValidateNameTest, AcceptsOneToMaxCharacters) {
  EXPECT_TRUE(ValidateName("a", 64).ok());
  EXPECT_TRUE(ValidateName(std::string(64, 'x'), 64).ok());
  EXPECT_FALSE(ValidateName(std::string(65, 'x'), 64).ok());
}

TEST(ValidateNameTest, RejectsEmpty) { EXPECT_FALSE(ValidateName("", 64).ok()); }

TEST(ValidateNameTest, CountsCodePointsNotBytes) {
  std::string snowmen;
  for (int i = 0; i < 64; ++i) snowmen += "\xE2\x98\x83";  // U+2603, three bytes each
  EXPECT_TRUE(ValidateName(snowmen, 64).ok());
  EXPECT_FALSE(ValidateName(snowmen + "\xE2\x98\x83", 64).ok());
  std::string emoji;
  for (int i = 0; i < 64; ++i) emoji += "\xF0\x9F\x98\x80";  // U+1F600, four bytes each
  EXPECT_TRUE(ValidateName(emoji, 64).ok());
}

TEST(ValidateNameTest, RejectsControlCharacters) {
  EXPECT_FALSE(ValidateName(std::string("a\0b", 3), 64).ok());
  EXPECT_FALSE(ValidateName("a\nb", 64).ok());
  EXPECT_FALSE(ValidateName("a\x1f", 64).ok());
  EXPECT_FALSE(ValidateName("a\x7f", 64).ok());
  EXPECT_FALSE(ValidateName("a\xC2\x85", 64).ok());  // U+0085, a C1 control
  EXPECT_TRUE(ValidateName("a b-c_d.e", 64).ok());
  EXPECT_TRUE(ValidateName("\xC2\xA0", 64).ok());  // U+00A0 is not a control character
}

TEST(ValidateNameTest, RejectsInvalidUtf8) {
  EXPECT_FALSE(ValidateName("\xFF", 64).ok());
  EXPECT_FALSE(ValidateName("\xC0\xAF", 64).ok());          // overlong
  EXPECT_FALSE(ValidateName("\xED\xA0\x80", 64).ok());      // surrogate
  EXPECT_FALSE(ValidateName("\xE2\x98", 64).ok());          // truncated
}

}  // namespace
}  // namespace sig::core
