#include "core/stats.h"

#include "gtest/gtest.h"

namespace sig::core {
namespace {

using P = Stats::Protocol;

std::size_t TypeIndex(std::string_view t) { return Stats::Lookup(Stats::kTypes, t); }

TEST(StatsTest, TypesMatchCaseInsensitivelyAndUnknownsAreOther) {
  Stats s;
  s.CountFrameIn(P::kPeerJs, "OFFER", 10);
  s.CountFrameIn(P::kTd, "offer", 10);
  s.CountFrameIn(P::kTd, "my-custom-type", 10);
  s.CountFrameIn(P::kTd, "invalid", 10);  // a client cannot claim the "invalid" bucket
  s.CountFrameIn(P::kTd, "", 10);
  EXPECT_EQ(s.frames_in(1, TypeIndex("offer")), 1u);
  EXPECT_EQ(s.frames_in(0, TypeIndex("offer")), 1u);
  EXPECT_EQ(s.frames_in(0, TypeIndex("other")), 2u);
  EXPECT_EQ(s.frames_in(0, Stats::kTypes.size() - 1), 1u);
  EXPECT_EQ(s.bytes_in(), 50u);
}

TEST(StatsTest, ReasonsOutsideTheListAreOther) {
  Stats s;
  s.CountBadFrame(P::kTd, "invalid_json");
  s.CountBadFrame(P::kTd, "something new");
  EXPECT_EQ(s.bad_frames(0, 0), 1u);
  EXPECT_EQ(s.bad_frames(0, Stats::kBadFrames.size() - 1), 1u);
  s.CountRejection(P::kPeerJs, "id_taken");
  EXPECT_EQ(s.rejections(1, Stats::Lookup(Stats::kRejections, "id_taken")), 1u);
}

TEST(StatsTest, CloseCodesOutsideTheListShareOneBucket) {
  Stats s;
  s.CountClose(1013);
  s.CountClose(4999);
  s.CountClose(3000);
  EXPECT_EQ(s.closes(8), 1u);  // 1013 is the ninth listed code
  EXPECT_EQ(s.closes(Stats::kCloseCodes.size()), 2u);
}

TEST(StatsTest, SizeBucketsAreInclusiveUpperBounds) {
  Stats s;
  s.CountFrameIn(P::kTd, "ping", 64);
  s.CountFrameIn(P::kTd, "ping", 65);
  s.CountFrameIn(P::kTd, "ping", 1u << 20);
  EXPECT_EQ(s.size_bucket(0), 1u);
  EXPECT_EQ(s.size_bucket(1), 1u);
  EXPECT_EQ(s.size_bucket(Stats::kSizeBuckets.size()), 1u);
}

}  // namespace
}  // namespace sig::core
