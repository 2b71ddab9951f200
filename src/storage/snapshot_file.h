// The on-disk format of a snapshot file: a fixed header, then the state machine's bytes.
//
//   offset  size  field
//        0     8  magic "PXKVSNAP"
//        8     4  u32 format version (1)
//       12     4  u32 crc32c of the 40-byte header with this field zeroed
//       16     8  u64 log index the snapshot stands for (it covers the entries [0, index))
//       24     8  u64 payload length in bytes
//       32     4  u32 crc32c of the payload
//       36     4  zero (reserved)
//       40     -  payload
//
// All integers little-endian. The file is named by its index, zero-padded to 20 digits so names
// sort like the numbers ("00000000000000000042.snap"); the name and the header must agree. A
// transfer sends the file as it is, header included, so the receiver checks the same things.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "paxos/types.h"

namespace paxoskv::storage::snapshot {

inline constexpr std::string_view kMagic = "PXKVSNAP";
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kHeaderBytes = 40;

struct Header {
  paxos::LogIndex index;
  std::uint64_t payload_bytes = 0;
  std::uint32_t payload_crc = 0;
};

std::string encode_header(const Header& header);

// Checks magic, version and the header's own CRC. On failure returns nullopt and says why.
std::optional<Header> decode_header(std::string_view bytes, std::string& reason);

// Checks a whole file's bytes against its name's index: the header, the length and the payload
// CRC. Returns "" when valid, else the reason (without the path).
std::string verify_file(std::string_view file_bytes, paxos::LogIndex index_from_name);

std::string file_name(paxos::LogIndex index);
// nullopt for names that are not snapshot names (temporary files included).
std::optional<paxos::LogIndex> parse_file_name(std::string_view name);

}  // namespace paxoskv::storage::snapshot
