// The latency histogram: every reported percentile is within the stated relative error of the
// exact order statistic, and the bucket arithmetic tiles the whole 64-bit range.
#include "client/bench/histogram.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace paxoskv::bench {
namespace {

// The exact value the histogram approximates: the smallest v with at least ceil(p% * n) values
// <= v, i.e. the ceil(p% * n)-th smallest.
std::uint64_t exact_percentile(std::vector<std::uint64_t> values, double p) {
  std::sort(values.begin(), values.end());
  const double exact = p / 100.0 * static_cast<double>(values.size());
  auto rank = static_cast<std::size_t>(std::ceil(exact - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

bool within_bound(std::uint64_t reported, std::uint64_t exact) {
  const double diff = std::abs(static_cast<double>(reported) - static_cast<double>(exact));
  return diff <= Histogram::kMaxRelativeError * static_cast<double>(exact) + 1e-9;
}

TEST(Histogram, ErrorBoundIsBelowOnePercent) {
  EXPECT_LT(Histogram::kMaxRelativeError, 0.01);
}

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 50u);
  EXPECT_EQ(h.percentile(99), 99u);
  EXPECT_EQ(h.percentile(100), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(Histogram, PercentileRanksOfAThousandValues) {
  // 1..1000 microseconds in nanoseconds: p50 is the 500th, p99.9 the 999th value.
  Histogram h;
  std::vector<std::uint64_t> values;
  for (std::uint64_t i = 1; i <= 1000; ++i) values.push_back(i * 1000);
  for (auto v : values) h.record(v);
  for (double p : {50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_TRUE(within_bound(h.percentile(p), exact_percentile(values, p))) << "p" << p;
  }
  EXPECT_EQ(h.percentile(100), 1'000'000u);  // the max is exact
}

TEST(Histogram, BucketsTileTheRangeWithBoundedWidth) {
  std::uint64_t expected_lower = 0;
  for (std::size_t b = 0; b < Histogram::kBucketCount; ++b) {
    ASSERT_EQ(Histogram::bucket_lower(b), expected_lower) << "bucket " << b;
    const std::uint64_t width = Histogram::bucket_width(b);
    if (b >= 2 * Histogram::kSubBuckets) {
      ASSERT_LE(width * Histogram::kSubBuckets, Histogram::bucket_lower(b)) << "bucket " << b;
    }
    ASSERT_EQ(Histogram::bucket_of(expected_lower), b);
    ASSERT_EQ(Histogram::bucket_of(expected_lower + width - 1), b);
    expected_lower += width;  // wraps to 0 after the last bucket
  }
  EXPECT_EQ(expected_lower, 0u);
  EXPECT_EQ(Histogram::bucket_of(std::numeric_limits<std::uint64_t>::max()),
            Histogram::kBucketCount - 1);
}

RC_GTEST_PROP(Histogram, EveryPercentileIsWithinTheBound, (std::vector<std::uint64_t> raw)) {
  RC_PRE(!raw.empty());
  // Latency-like spread: from exact small values up to hours in nanoseconds.
  const auto shift = *rc::gen::inRange(0, 44);
  std::vector<std::uint64_t> values;
  for (std::uint64_t v : raw) values.push_back((v % 100'000) << shift);
  Histogram h;
  for (auto v : values) h.record(v);
  RC_ASSERT(h.count() == values.size());
  for (double p : {0.1, 1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const std::uint64_t exact = exact_percentile(values, p);
    RC_ASSERT(within_bound(h.percentile(p), exact));
  }
  RC_ASSERT(h.max() == *std::max_element(values.begin(), values.end()));
  RC_ASSERT(h.min() == *std::min_element(values.begin(), values.end()));
}

RC_GTEST_PROP(Histogram, MergeEqualsRecordingEverything,
              (std::vector<std::uint32_t> a, std::vector<std::uint32_t> b)) {
  Histogram ha, hb, all;
  for (auto v : a) ha.record(v), all.record(v);
  for (auto v : b) hb.record(v), all.record(v);
  ha.merge(hb);
  RC_ASSERT(ha.count() == all.count());
  RC_ASSERT(ha.min() == all.min());
  RC_ASSERT(ha.max() == all.max());
  RC_ASSERT(ha.mean() == all.mean());
  for (double p : {1.0, 50.0, 99.0, 100.0}) RC_ASSERT(ha.percentile(p) == all.percentile(p));
}

}  // namespace
}  // namespace paxoskv::bench
