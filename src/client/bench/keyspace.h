// Which operation, on which key, with which value: the driver's choices, all drawn from a small
// seeded PRNG so that a run's request sequence (per worker) is reproducible from its seed.
//
// Keys are "k" followed by the key's number zero-padded to key_size bytes ("k000000000000042").
// Zipfian keys follow Gray et al., "Quickly generating billion-record synthetic databases" (the
// generator YCSB uses): key 0 is the most popular, and the probability of key i is proportional
// to 1 / (i + 1)^theta. Keys are not scrambled: the store's ordered map does not care where the
// hot keys sit.
//
// Values are value_size bytes: the 16 hex digits of the id of the request that wrote them, then
// '.' filler; shorter values keep the low-order digits. A value therefore names its writer, which
// is how the driver knows "the key's current value as last seen" for compare-and-swap without
// storing whole values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/bench/workload.h"

namespace paxoskv::bench {

// splitmix64: tiny, fast, and the same sequence on every platform (unlike the standard
// distributions, whose algorithms are implementation-defined).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-24 for n < 2^40).
  std::uint64_t below(std::uint64_t n);
  // Uniform in [0, 1).
  double unit();

 private:
  std::uint64_t state_;
};

class KeyChooser {
 public:
  // theta is used only for kZipfian (0 < theta < 1). Construction is O(keys) for zipfian.
  KeyChooser(std::uint64_t keys, Distribution distribution, double theta);
  std::uint64_t next(Rng& rng) const;
  std::uint64_t keys() const { return keys_; }

 private:
  std::uint64_t keys_;
  Distribution distribution_;
  double theta_ = 0;
  double zeta_n_ = 0;
  double alpha_ = 0;
  double eta_ = 0;
  double half_pow_theta_ = 0;
};

enum class OpKind : std::uint8_t { kPut = 0, kGet = 1, kCas = 2 };
inline constexpr std::size_t kOpKinds = 3;
const char* op_name(OpKind kind);

// A get with probability read_ratio, a cas with probability cas_ratio, else a put.
OpKind choose_op(Rng& rng, double read_ratio, double cas_ratio);

std::string format_key(std::uint64_t key, std::uint32_t key_size);
std::string make_value(std::uint64_t writer_id, std::uint32_t value_size);
// The writer id a value names (for a value shorter than 16 bytes, the id's low digits, which
// make_value turns back into the same value). nullopt if the value was not written by us.
std::optional<std::uint64_t> value_writer(std::string_view value);

}  // namespace paxoskv::bench
