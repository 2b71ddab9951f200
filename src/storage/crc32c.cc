#include "crc32c.h"

#include <nmmintrin.h>

#include <array>
#include <cstring>

namespace paxoskv::storage {
namespace detail {
namespace {

constexpr std::uint32_t kPolynomialReflected = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kPolynomialReflected : 0u);
    table[i] = crc;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kTable = make_table();

using Crc32cFn = std::uint32_t (*)(std::uint32_t, const void*, std::size_t);

Crc32cFn pick_implementation() {
  return hardware_crc32c_available() ? &crc32c_sse42 : &crc32c_portable;
}

}  // namespace

std::uint32_t crc32c_portable(std::uint32_t crc, const void* data, std::size_t len) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < len; ++i) crc = (crc >> 8) ^ kTable[(crc ^ p[i]) & 0xFFu];
  return ~crc;
}

// Compiled for SSE4.2 regardless of the global -march so the binary still runs (through the
// portable path) on a CPU without it; only called after the run-time check.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::uint32_t crc, const void* data,
                                                             std::size_t len) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t c = ~crc;
  // Bytes until 8-byte alignment, so the main loop does aligned loads.
  while (len > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7u) != 0) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --len;
  }
  while (len >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);  // the CRC instruction consumes little-endian words
    c = _mm_crc32_u64(c, word);
    p += 8;
    len -= 8;
  }
  while (len > 0) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --len;
  }
  return ~static_cast<std::uint32_t>(c);
}

bool hardware_crc32c_available() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

}  // namespace detail

std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t len) {
  // Chosen once; a function-local static is initialised thread-safely.
  static const detail::Crc32cFn impl = detail::pick_implementation();
  return impl(crc, data, len);
}

}  // namespace paxoskv::storage
