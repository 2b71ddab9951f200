#include "snapshot_file.h"

#include <bit>
#include <charconv>
#include <cstring>

#include "crc32c.h"

namespace paxoskv::storage::snapshot {
namespace {

static_assert(std::endian::native == std::endian::little, "the snapshot codec is little-endian");

constexpr std::size_t kVersionAt = 8;
constexpr std::size_t kHeaderCrcAt = 12;
constexpr std::size_t kIndexAt = 16;
constexpr std::size_t kLengthAt = 24;
constexpr std::size_t kPayloadCrcAt = 32;
constexpr std::size_t kReservedAt = 36;
constexpr std::string_view kSuffix = ".snap";

template <typename T>
void put(std::string& out, std::size_t at, T v) {
  std::memcpy(out.data() + at, &v, sizeof v);
}
template <typename T>
T get(std::string_view in, std::size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}

std::uint32_t header_crc(std::string_view header) {
  std::string copy(header.substr(0, kHeaderBytes));
  put<std::uint32_t>(copy, kHeaderCrcAt, 0);
  return crc32c(copy);
}

}  // namespace

std::string encode_header(const Header& header) {
  std::string out(kHeaderBytes, '\0');
  std::memcpy(out.data(), kMagic.data(), kMagic.size());
  put<std::uint32_t>(out, kVersionAt, kFormatVersion);
  put<std::uint64_t>(out, kIndexAt, header.index.value());
  put<std::uint64_t>(out, kLengthAt, header.payload_bytes);
  put<std::uint32_t>(out, kPayloadCrcAt, header.payload_crc);
  put<std::uint32_t>(out, kHeaderCrcAt, header_crc(out));
  return out;
}

std::optional<Header> decode_header(std::string_view bytes, std::string& reason) {
  if (bytes.size() < kHeaderBytes) {
    reason = "file of " + std::to_string(bytes.size()) + " bytes is shorter than the header";
    return std::nullopt;
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    reason = "not a snapshot file (bad magic)";
    return std::nullopt;
  }
  if (const auto version = get<std::uint32_t>(bytes, kVersionAt); version != kFormatVersion) {
    reason = "unsupported snapshot format version " + std::to_string(version);
    return std::nullopt;
  }
  if (get<std::uint32_t>(bytes, kHeaderCrcAt) != header_crc(bytes)) {
    reason = "header checksum mismatch";
    return std::nullopt;
  }
  if (get<std::uint32_t>(bytes, kReservedAt) != 0) {  // the CRC matched: a writer bug
    reason = "reserved header field is not zero";
    return std::nullopt;
  }
  return Header{paxos::LogIndex(get<std::uint64_t>(bytes, kIndexAt)),
                get<std::uint64_t>(bytes, kLengthAt), get<std::uint32_t>(bytes, kPayloadCrcAt)};
}

std::string verify_file(std::string_view file_bytes, paxos::LogIndex index_from_name) {
  std::string reason;
  const std::optional<Header> h = decode_header(file_bytes, reason);
  if (!h) return reason;
  if (h->index != index_from_name) {
    return "header says index " + std::to_string(h->index.value()) + " but the file name says " +
           std::to_string(index_from_name.value());
  }
  const std::uint64_t payload_bytes = file_bytes.size() - kHeaderBytes;
  if (h->payload_bytes != payload_bytes) {
    return "header says " + std::to_string(h->payload_bytes) + " payload bytes but the file has " +
           std::to_string(payload_bytes);
  }
  if (crc32c(file_bytes.substr(kHeaderBytes)) != h->payload_crc) {
    return "payload checksum mismatch";
  }
  return {};
}

std::string file_name(paxos::LogIndex index) {
  std::string digits = std::to_string(index.value());
  return std::string(20 - digits.size(), '0') + digits + std::string(kSuffix);
}

std::optional<paxos::LogIndex> parse_file_name(std::string_view name) {
  if (name.size() != 20 + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = name.data() + 20;
  auto [ptr, ec] = std::from_chars(name.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return paxos::LogIndex(value);
}

}  // namespace paxoskv::storage::snapshot
