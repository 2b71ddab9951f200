// Key, operation and value choice: deterministic from a seed, zipfian skewed as the formula says,
// values that name their writer.
#include "client/bench/keyspace.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace paxoskv::bench {
namespace {

std::vector<std::uint64_t> draw(const KeyChooser& chooser, std::uint64_t seed, int n) {
  Rng rng(seed);
  std::vector<std::uint64_t> keys;
  for (int i = 0; i < n; ++i) keys.push_back(chooser.next(rng));
  return keys;
}

TEST(KeyChooser, SameSeedSameSequenceOtherSeedOtherSequence) {
  for (Distribution d : {Distribution::kUniform, Distribution::kZipfian}) {
    KeyChooser chooser(1000, d, 0.99);
    EXPECT_EQ(draw(chooser, 42, 1000), draw(chooser, 42, 1000));
    EXPECT_NE(draw(chooser, 42, 1000), draw(chooser, 43, 1000));
  }
}

TEST(KeyChooser, UniformCoversTheSpaceEvenly) {
  KeyChooser chooser(10, Distribution::kUniform, 0);
  std::vector<int> hits(10);
  for (auto k : draw(chooser, 1, 100'000)) {
    ASSERT_LT(k, 10u);
    ++hits[k];
  }
  for (int h : hits) EXPECT_NEAR(h, 10'000, 600);  // > 6 standard deviations
}

TEST(KeyChooser, ZipfianFollowsItsDistribution) {
  const std::uint64_t keys = 1000;
  const double theta = 0.99;
  KeyChooser chooser(keys, Distribution::kZipfian, theta);
  const int n = 400'000;
  std::vector<int> hits(keys);
  for (auto k : draw(chooser, 7, n)) {
    ASSERT_LT(k, keys);
    ++hits[k];
  }
  double zeta = 0;
  for (std::uint64_t i = 1; i <= keys; ++i) zeta += 1.0 / std::pow(static_cast<double>(i), theta);
  // Gray's generator is exact for ranks 0 and 1 and approximates the tail; check the head
  // closely and the shape loosely.
  for (std::uint64_t k : {0, 1}) {
    const double expected = n / std::pow(static_cast<double>(k + 1), theta) / zeta;
    EXPECT_NEAR(hits[k], expected, 0.03 * expected) << "key " << k;
  }
  EXPECT_GT(hits[0], hits[1]);
  EXPECT_GT(hits[1], hits[9] * 3);
  EXPECT_GT(hits[9], hits[500] * 10);
  // The hottest 1% of keys draws far more than 1% of requests (about 40% at theta 0.99).
  int top = 0;
  for (int k = 0; k < 10; ++k) top += hits[k];
  EXPECT_GT(top, n / 3);
  EXPECT_LT(top, n / 2);
}

TEST(KeyChooser, OneKey) {
  for (Distribution d : {Distribution::kUniform, Distribution::kZipfian}) {
    KeyChooser chooser(1, d, 0.5);
    for (auto k : draw(chooser, 3, 100)) EXPECT_EQ(k, 0u);
  }
}

TEST(OpMix, RatiosAreRespected) {
  Rng rng(5);
  int counts[kOpKinds] = {};
  const int n = 100'000;
  for (int i = 0; i < n; ++i) ++counts[static_cast<int>(choose_op(rng, 0.5, 0.2))];
  EXPECT_NEAR(counts[static_cast<int>(OpKind::kGet)], 0.5 * n, 0.01 * n);
  EXPECT_NEAR(counts[static_cast<int>(OpKind::kCas)], 0.2 * n, 0.01 * n);
  EXPECT_NEAR(counts[static_cast<int>(OpKind::kPut)], 0.3 * n, 0.01 * n);
  // Pure mixes do not consume randomness.
  Rng a(9), b(9);
  EXPECT_EQ(choose_op(a, 0, 0), OpKind::kPut);
  EXPECT_EQ(choose_op(a, 1, 0), OpKind::kGet);
  EXPECT_EQ(a.next(), b.next());
}

TEST(Keys, FormatIsFixedWidth) {
  EXPECT_EQ(format_key(42, 16), "k000000000000042");
  EXPECT_EQ(format_key(0, 2), "k0");
  EXPECT_EQ(format_key(999, 4), "k999");
}

TEST(Values, NameTheirWriterAtEverySize) {
  EXPECT_EQ(make_value(0xabc, 20), "0000000000000abc....");
  EXPECT_EQ(value_writer(make_value(0xabc, 20)), 0xabcu);
  EXPECT_EQ(make_value(0x12345, 3), "345");
  // A short value keeps the low digits; the id it names turns back into the same value.
  EXPECT_EQ(make_value(*value_writer(make_value(0x12345, 3)), 3), "345");
  EXPECT_EQ(make_value(7, 0), "");
  EXPECT_EQ(value_writer(""), 0u);
  EXPECT_EQ(value_writer("hello"), std::nullopt);
  EXPECT_EQ(value_writer("0000000000000001x"), std::nullopt);
}

}  // namespace
}  // namespace paxoskv::bench
