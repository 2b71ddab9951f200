// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum that frames every
// WAL record. Debian 12 packages no crc32c library, so it lives here: an SSE4.2 path picked at run
// time (one `crc32` instruction per 8 bytes) and a byte-table fallback for CPUs without it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace paxoskv::storage {

// Extends `crc` (the CRC32C of some earlier bytes, 0 for none) over `data[0, len)`. The pre- and
// post-inversion are inside, so crc32c(crc32c(0, a), b) == crc32c(0, a + b) and
// crc32c(0, "123456789", 9) == 0xE3069283 (the standard check value).
std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t len);

inline std::uint32_t crc32c(std::string_view bytes) {
  return crc32c(0, bytes.data(), bytes.size());
}

namespace detail {
// Both implementations, exposed so that tests can check each against the other.
std::uint32_t crc32c_portable(std::uint32_t crc, const void* data, std::size_t len);
// Requires hardware_crc32c_available().
std::uint32_t crc32c_sse42(std::uint32_t crc, const void* data, std::size_t len);
bool hardware_crc32c_available();
}  // namespace detail

}  // namespace paxoskv::storage
