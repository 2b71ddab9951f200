// CRC32C against published vectors (the check value and RFC 3720 appendix B.4), and the hardware
// path against the table path.
#include "storage/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace paxoskv::storage {
namespace {

using Impl = std::uint32_t (*)(std::uint32_t, const void*, std::size_t);

std::vector<std::pair<const char*, Impl>> implementations() {
  std::vector<std::pair<const char*, Impl>> out{{"portable", &detail::crc32c_portable},
                                                {"dispatch", &crc32c}};
  if (detail::hardware_crc32c_available()) out.emplace_back("sse42", &detail::crc32c_sse42);
  return out;
}

TEST(Crc32c, PublishedVectors) {
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, '\0'), down(32, '\0');
  for (int i = 0; i < 32; ++i) {
    up[static_cast<std::size_t>(i)] = static_cast<char>(i);
    down[static_cast<std::size_t>(i)] = static_cast<char>(31 - i);
  }
  for (auto [name, f] : implementations()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(f(0, "123456789", 9), 0xE3069283u);
    EXPECT_EQ(f(0, "", 0), 0u);
    EXPECT_EQ(f(0, zeros.data(), zeros.size()), 0x8A9136AAu);
    EXPECT_EQ(f(0, ones.data(), ones.size()), 0x62A8AB43u);
    EXPECT_EQ(f(0, up.data(), up.size()), 0x46DD794Eu);
    EXPECT_EQ(f(0, down.data(), down.size()), 0x113FDB5Cu);
  }
}

TEST(Crc32c, ExtendingEqualsOneShot) {
  const std::string s = "The quick brown fox jumps over the lazy dog";
  for (std::size_t split = 0; split <= s.size(); ++split) {
    EXPECT_EQ(crc32c(crc32c(0, s.data(), split), s.data() + split, s.size() - split), crc32c(s));
  }
}

TEST(Crc32c, HardwareMatchesTableAtEveryAlignmentAndLength) {
  if (!detail::hardware_crc32c_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 rng(7);
  std::string buf(600, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (std::size_t start = 0; start < 16; ++start) {
    for (std::size_t len = 0; len + start <= 300; ++len) {
      ASSERT_EQ(detail::crc32c_sse42(0x1234u, buf.data() + start, len),
                detail::crc32c_portable(0x1234u, buf.data() + start, len))
          << "start " << start << " len " << len;
    }
  }
}

}  // namespace
}  // namespace paxoskv::storage
