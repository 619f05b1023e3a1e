#include "core/stats.h"

#include <array>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace sig::core {
namespace {


// A protocol's type table as a codec would define it.
constexpr std::array<std::string_view, 6> kNames = {"other", "invalid", "offer", "answer",
                                                    "id-taken", "peer_disconnected"};
constexpr FrameTypeTable kTypes{kNames};
constexpr FrameType kOffer = 2, kAnswer = 3, kIdTaken = 4, kPeerDisconnected = 5;

TEST(FrameTypeTableTest, TypesMatchCaseInsensitivelyAndUnknownsAreOther) {
  EXPECT_EQ(kTypes.Classify("OFFER"), kOffer);
  EXPECT_EQ(kTypes.Classify("offer"), kOffer);
  EXPECT_EQ(kTypes.Classify("Id-Taken"), kIdTaken);
  EXPECT_EQ(kTypes.Classify("my-custom-type"), kOtherFrameType);
  EXPECT_EQ(kTypes.Classify("offe"), kOtherFrameType);
  // A client cannot claim the "invalid" or "other" buckets by name.
  EXPECT_EQ(kTypes.Classify("invalid"), kOtherFrameType);
  EXPECT_EQ(kTypes.Classify("other"), kOtherFrameType);
  EXPECT_EQ(kTypes.Classify(""), kInvalidFrameType);
  // The longest name, in any case, and anything longer.
  EXPECT_EQ(kTypes.Classify("PEER_DISCONNECTED"), kPeerDisconnected);
  EXPECT_EQ(kTypes.Classify("peer_disconnectedx"), kOtherFrameType);
  EXPECT_EQ(kTypes.Classify(std::string(4096, 'a')), kOtherFrameType);
  for (std::size_t i = kInvalidFrameType + 1; i < kNames.size(); ++i) {
    EXPECT_EQ(kTypes.Classify(kNames[i]), i) << kNames[i];
  }
}

TEST(StatsTest, FramesCountByProtocolAndType) {
  Stats s;
  s.CountFrameIn(sig::v1::PROTOCOL_PEERJS, kOffer, 10);
  s.CountFrameIn(sig::v1::PROTOCOL_TD, kOffer, 10);
  s.CountFrameIn(sig::v1::PROTOCOL_TD, kOtherFrameType, 10);
  s.CountFrameOut(sig::v1::PROTOCOL_TD, kAnswer, 7);
  EXPECT_EQ(s.frames_in(1, kOffer), 1u);
  EXPECT_EQ(s.frames_in(0, kOffer), 1u);
  EXPECT_EQ(s.frames_in(0, kOtherFrameType), 1u);
  EXPECT_EQ(s.frames_out(0, kAnswer), 1u);
  EXPECT_EQ(s.bytes_in(), 30u);
  EXPECT_EQ(s.bytes_out(), 7u);
}

// Each thread counts into a shard of its own; reads add the shards up. More threads than
// shards share some, which must still count every frame.
TEST(StatsTest, CountsFromManyThreadsAddUp) {
  Stats stats;
  constexpr int kThreads = 20;
  constexpr int kFrames = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stats] {
      for (int i = 0; i < kFrames; ++i) {
        stats.CountFrameIn(sig::v1::PROTOCOL_PEERJS, kOffer, 100);
        stats.CountFrameOut(sig::v1::PROTOCOL_TD, kAnswer, 10);
        stats.ObserveRelayLatency(1000);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  constexpr std::uint64_t kTotal = kThreads * kFrames;
  EXPECT_EQ(stats.frames_in(1, kOffer), kTotal);  // 1: PeerJS
  EXPECT_EQ(stats.frames_out(0, kAnswer), kTotal);
  EXPECT_EQ(stats.bytes_in(), kTotal * 100);
  EXPECT_EQ(stats.bytes_out(), kTotal * 10);
  EXPECT_EQ(stats.size_bucket(1), kTotal);  // 100 bytes: the (64, 256] bucket
  EXPECT_EQ(stats.latency_bucket(0), kTotal);
  EXPECT_DOUBLE_EQ(stats.latency_sum_seconds(), static_cast<double>(kTotal) * 1e-6);
}

TEST(StatsTest, RelayLatencyBucketsAreInclusiveUpperBounds) {
  Stats s;
  s.ObserveRelayLatency(25'000);   // exactly 25 us: first bucket
  s.ObserveRelayLatency(25'001);   // second
  s.ObserveRelayLatency(-5);       // a clock oddity counts as zero
  s.ObserveRelayLatency(2'000'000'000);  // 2 s: +Inf
  EXPECT_EQ(s.latency_bucket(0), 2u);
  EXPECT_EQ(s.latency_bucket(1), 1u);
  EXPECT_EQ(s.latency_bucket(Stats::kLatencyBuckets.size()), 1u);
  EXPECT_DOUBLE_EQ(s.latency_sum_seconds(), 2.000050001);
}

TEST(StatsTest, AdminCallsCountByMethodAndCode) {
  Stats s;
  s.CountAdminCall(0, 0);
  s.CountAdminCall(0, 16);
  s.CountAdminCall(0, 99);  // not a gRPC code: UNKNOWN
  s.CountAdminCall(Stats::kAdminMethods.size(), 0);  // not a method: ignored
  EXPECT_EQ(s.admin_calls(0, 0), 1u);
  EXPECT_EQ(s.admin_calls(0, 16), 1u);
  EXPECT_EQ(s.admin_calls(0, 2), 1u);
}

TEST(StatsTest, OutcomesCountUnderTheirOwnNames) {
  Stats s;
  s.CountBadFrame(sig::v1::PROTOCOL_TD, BadFrame::kInvalidJson);
  s.CountBadFrame(sig::v1::PROTOCOL_TD, BadFrame::kInvalidTarget);
  EXPECT_EQ(s.bad_frames(0, 0), 1u);
  EXPECT_EQ(Stats::kBadFrames[OutcomeIndex(BadFrame::kInvalidTarget)], "invalid_target");
  EXPECT_EQ(s.bad_frames(0, OutcomeIndex(BadFrame::kInvalidTarget)), 1u);
  s.CountRejection(sig::v1::PROTOCOL_PEERJS, LoginRejection::kIdTaken);
  EXPECT_EQ(s.rejections(1, OutcomeIndex(LoginRejection::kIdTaken)), 1u);
  EXPECT_EQ(Name(LoginRejection::kUnavailable), "unavailable");
  s.CountRelayFailure(RelayFailure::kHoldLimit);
  EXPECT_EQ(s.relay_failures(OutcomeIndex(RelayFailure::kHoldLimit)), 1u);
}

TEST(StatsTest, CloseCodesOutsideTheListShareOneBucket) {
  Stats s;
  s.CountClose(1013);
  s.CountClose(4999);
  s.CountClose(3000);
  EXPECT_EQ(s.closes(9), 1u);  // 1013 is the tenth listed code
  EXPECT_EQ(s.closes(Stats::kCloseCodes.size()), 2u);
}

TEST(StatsTest, SizeBucketsAreInclusiveUpperBounds) {
  Stats s;
  s.CountFrameIn(sig::v1::PROTOCOL_TD, kOffer, 64);
  s.CountFrameIn(sig::v1::PROTOCOL_TD, kOffer, 65);
  s.CountFrameIn(sig::v1::PROTOCOL_TD, kOffer, 1u << 20);
  EXPECT_EQ(s.size_bucket(0), 1u);
  EXPECT_EQ(s.size_bucket(1), 1u);
  EXPECT_EQ(s.size_bucket(Stats::kSizeBuckets.size()), 1u);
}

}  // namespace
}  // namespace sig::core
