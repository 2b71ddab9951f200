// A latency histogram with bounded relative error, in the spirit of HdrHistogram (whose C library
// is not packaged in Debian 12, hence this small one).
//
// Buckets are log-linear: values below 2 * kSubBuckets are counted exactly; above that, every
// power of two [2^k, 2^(k+1)) is cut into kSubBuckets equal buckets, so a bucket is never wider
// than 1/kSubBuckets of its lower bound. A value reported from a bucket is its midpoint (clamped
// to the exact min and max seen), so it is within 1 / (2 * kSubBuckets) = 0.39% of every value
// the bucket holds. Recording is O(1) with no allocation; the bucket array is fixed (~60 KiB).
//
// Values are unsigned integers in whatever unit the caller uses (the driver records nanoseconds).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace paxoskv::bench {

class Histogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;  // 128
  // Exact buckets [0, 2 * kSubBuckets), then kSubBuckets per octave up to 2^64.
  static constexpr std::size_t kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;
  // Worst-case relative distance between a recorded value and the value reported for it.
  static constexpr double kMaxRelativeError = 1.0 / (2.0 * kSubBuckets);

  Histogram();

  void record(std::uint64_t value);
  // Adds every value recorded in `other`.
  void merge(const Histogram& other);
  void clear();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const;
  // The value at percentile `p` (0 < p <= 100): an approximation, within kMaxRelativeError, of
  // the smallest recorded value v such that at least ceil(p/100 * count) values are <= v.
  // 0 when empty.
  std::uint64_t percentile(double p) const;

  // Bucket arithmetic, public for the tests.
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_lower(std::size_t bucket);
  // Width of the bucket: the number of distinct values it holds.
  static std::uint64_t bucket_width(std::size_t bucket);

 private:
  std::vector<std::uint64_t> counts_;  // kBucketCount entries; on the heap so copies are explicit
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  // A 64-bit sum of nanoseconds overflows only after 584 years of summed latency.
  std::uint64_t sum_ = 0;
};

}  // namespace paxoskv::bench
