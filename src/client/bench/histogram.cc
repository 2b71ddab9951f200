#include "client/bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace paxoskv::bench {

Histogram::Histogram() : counts_(kBucketCount, 0) {}

std::size_t Histogram::bucket_of(std::uint64_t value) {
  if (value < 2 * kSubBuckets) return static_cast<std::size_t>(value);
  // value has its top bit at position msb >= kSubBucketBits + 1; shifting it right by
  // shift = msb - kSubBucketBits leaves a number in [kSubBuckets, 2 * kSubBuckets).
  const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(value));
  const unsigned shift = msb - kSubBucketBits;
  const std::uint64_t sub = (value >> shift) - kSubBuckets;
  return static_cast<std::size_t>((shift + 1) * kSubBuckets + sub);
}

std::uint64_t Histogram::bucket_lower(std::size_t bucket) {
  if (bucket < 2 * kSubBuckets) return bucket;
  const unsigned shift = static_cast<unsigned>(bucket / kSubBuckets) - 1;
  const std::uint64_t sub = bucket % kSubBuckets + kSubBuckets;
  return sub << shift;
}

std::uint64_t Histogram::bucket_width(std::size_t bucket) {
  if (bucket < 2 * kSubBuckets) return 1;
  const unsigned shift = static_cast<unsigned>(bucket / kSubBuckets) - 1;
  return std::uint64_t{1} << shift;
}

void Histogram::record(std::uint64_t value) {
  ++counts_[bucket_of(value)];
  if (count_ == 0 || value < min_) min_ = value;
  max_ = std::max(max_, value);
  ++count_;
  sum_ += value;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = min_ = max_ = sum_ = 0;
}

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

std::uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // Rank of the wanted value, 1-based: ceil(p% of count), at least the first value. The small
  // epsilon keeps p = 99.9 of 1000 values at rank 999 despite 99.9 / 100 * 1000 = 999.0000001.
  const double exact = p / 100.0 * static_cast<double>(count_);
  auto rank = static_cast<std::uint64_t>(std::ceil(exact - 1e-9));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t lower = bucket_lower(i);
      const std::uint64_t mid = lower + (bucket_width(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;  // unreachable: the buckets sum to count_
}

}  // namespace paxoskv::bench
