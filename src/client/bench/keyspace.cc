#include "client/bench/keyspace.h"

#include <algorithm>
#include <cmath>

namespace paxoskv::bench {

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t Rng::below(std::uint64_t n) {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
}

double Rng::unit() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

KeyChooser::KeyChooser(std::uint64_t keys, Distribution distribution, double theta)
    : keys_(std::max<std::uint64_t>(keys, 1)), distribution_(distribution), theta_(theta) {
  if (distribution_ != Distribution::kZipfian) return;
  for (std::uint64_t i = 1; i <= keys_; ++i)
    zeta_n_ += 1.0 / std::pow(static_cast<double>(i), theta);
  const double zeta_2 = 1.0 + std::pow(0.5, theta);
  alpha_ = 1.0 / (1.0 - theta);
  eta_ = (1.0 - std::pow(2.0 / static_cast<double>(keys_), 1.0 - theta)) / (1.0 - zeta_2 / zeta_n_);
  half_pow_theta_ = std::pow(0.5, theta);
}

std::uint64_t KeyChooser::next(Rng& rng) const {
  if (distribution_ == Distribution::kUniform || keys_ == 1) return rng.below(keys_);
  const double u = rng.unit();
  const double uz = u * zeta_n_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + half_pow_theta_) return std::min<std::uint64_t>(1, keys_ - 1);
  const double rank = static_cast<double>(keys_) * std::pow(eta_ * u - eta_ + 1.0, alpha_);
  return std::min(static_cast<std::uint64_t>(rank), keys_ - 1);
}

const char* op_name(OpKind kind) {
  switch (kind) {
    case OpKind::kPut:
      return "put";
    case OpKind::kGet:
      return "get";
    case OpKind::kCas:
      return "cas";
  }
  return "?";
}

OpKind choose_op(Rng& rng, double read_ratio, double cas_ratio) {
  // Pure workloads draw nothing, so their key sequence does not depend on the mix.
  if (read_ratio <= 0 && cas_ratio <= 0) return OpKind::kPut;
  if (read_ratio >= 1) return OpKind::kGet;
  const double u = rng.unit();
  if (u < read_ratio) return OpKind::kGet;
  if (u < read_ratio + cas_ratio) return OpKind::kCas;
  return OpKind::kPut;
}

std::string format_key(std::uint64_t key, std::uint32_t key_size) {
  std::string out(std::max<std::uint32_t>(key_size, 1), '0');
  out[0] = 'k';
  for (std::size_t i = out.size() - 1; i > 0 && key > 0; --i, key /= 10) {
    out[i] = static_cast<char>('0' + key % 10);
  }
  return out;
}

std::string make_value(std::uint64_t writer_id, std::uint32_t value_size) {
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[16];
  for (int i = 15; i >= 0; --i, writer_id >>= 4) digits[i] = kHex[writer_id & 0xf];
  std::string out(value_size, '.');
  const std::size_t n = std::min<std::size_t>(16, value_size);
  // The low-order digits when the value is short: they are the ones that change per write.
  std::copy(digits + 16 - n, digits + 16, out.begin());
  return out;
}

std::optional<std::uint64_t> value_writer(std::string_view value) {
  const std::size_t n = std::min<std::size_t>(16, value.size());
  std::uint64_t id = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = value[i];
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) return std::nullopt;
    id = (id << 4) | static_cast<std::uint64_t>(digit);
  }
  for (std::size_t i = n; i < value.size(); ++i) {
    if (value[i] != '.') return std::nullopt;
  }
  return id;
}

}  // namespace paxoskv::bench
