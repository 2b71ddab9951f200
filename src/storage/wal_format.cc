#include "wal_format.h"

#include <bit>
#include <charconv>
#include <cstring>

#include "crc32c.h"
#include "paxos/assert.h"

namespace paxoskv::storage::wal {

// The format is little-endian; on a little-endian host that is a plain memcpy. A big-endian port
// would byte-swap in these four helpers and nowhere else.
static_assert(std::endian::native == std::endian::little, "the WAL codec assumes little-endian");

namespace {

void put_u32(char* at, std::uint32_t v) {
  std::memcpy(at, &v, sizeof v);
}
void append_u32(std::string& out, std::uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), 4);
}
void append_u64(std::string& out, std::uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), 8);
}
std::uint32_t get_u32(const char* at) {
  std::uint32_t v;
  std::memcpy(&v, at, sizeof v);
  return v;
}
std::uint64_t get_u64(const char* at) {
  std::uint64_t v;
  std::memcpy(&v, at, sizeof v);
  return v;
}

// Writes a header with placeholder length and CRC; returns the record's start offset.
std::size_t begin_record(std::string& out, RecordType type) {
  const std::size_t start = out.size();
  out.append(8, '\0');
  out.push_back(static_cast<char>(type));
  return start;
}

// Fills in the length and the CRC once the payload has been appended after begin_record().
void end_record(std::string& out, std::size_t start) {
  const std::size_t payload_bytes = out.size() - start - kHeaderBytes;
  PAXOS_ASSERT(payload_bytes <= kPayloadBytesMax, "WAL record payload too large");
  const std::uint32_t crc = crc32c(0, out.data() + start + 8, payload_bytes + 1);
  put_u32(out.data() + start, static_cast<std::uint32_t>(payload_bytes));
  put_u32(out.data() + start + 4, crc);
}

void encode_u64_record(std::string& out, RecordType type, std::uint64_t value) {
  const std::size_t start = begin_record(out, type);
  append_u64(out, value);
  end_record(out, start);
}

bool payload_size_valid(RecordType type, std::size_t bytes) {
  switch (type) {
    case RecordType::kAppend:
      return bytes >= kU64PayloadBytes;
    case RecordType::kTruncate:
    case RecordType::kDecided:
    case RecordType::kCommit:
    case RecordType::kLogStart:
      return bytes == kU64PayloadBytes;
    case RecordType::kCheckpoint:
      return bytes == kCheckpointPayloadBytes;
    case RecordType::kPromise:
    case RecordType::kAcceptedRound:
      return bytes == kBallotPayloadBytes;
  }
  return false;
}

bool type_known(std::uint8_t t) {
  return t >= static_cast<std::uint8_t>(RecordType::kAppend) &&
         t <= static_cast<std::uint8_t>(RecordType::kCheckpoint);
}

void append_ballot(std::string& out, const paxos::Ballot& ballot) {
  append_u32(out, ballot.config_id.value());
  append_u32(out, ballot.n);
  append_u64(out, ballot.priority);
  append_u64(out, ballot.pid.value());
}

paxos::Ballot get_ballot(const char* p) {
  paxos::Ballot b;
  b.config_id = paxos::ConfigId(get_u32(p));
  b.n = get_u32(p + 4);
  b.priority = get_u64(p + 8);
  b.pid = paxos::NodeId(get_u64(p + 16));
  return b;
}

bool same_ballot(const paxos::Ballot& a, const paxos::Ballot& b) {
  return a.config_id == b.config_id && a.n == b.n && a.priority == b.priority && a.pid == b.pid;
}

std::string describe(const paxos::Ballot& b) {
  return "(" + std::to_string(b.config_id.value()) + "," + std::to_string(b.n) + "," +
         std::to_string(b.priority) + "," + std::to_string(b.pid.value()) + ")";
}

}  // namespace

void encode_append(std::string& out, paxos::LogIndex index, std::string_view entry) {
  const std::size_t start = begin_record(out, RecordType::kAppend);
  append_u64(out, index.value());
  out.append(entry);  // the only copy of the entry on the write path
  end_record(out, start);
}

void encode_truncate(std::string& out, paxos::LogIndex from) {
  encode_u64_record(out, RecordType::kTruncate, from.value());
}

void encode_ballot(std::string& out, RecordType type, const paxos::Ballot& ballot) {
  PAXOS_ASSERT(type == RecordType::kPromise || type == RecordType::kAcceptedRound,
               "not a ballot record type");
  const std::size_t start = begin_record(out, type);
  append_ballot(out, ballot);
  end_record(out, start);
}

void encode_decided(std::string& out, paxos::LogIndex index) {
  encode_u64_record(out, RecordType::kDecided, index.value());
}

void encode_commit(std::string& out, std::uint64_t batch) {
  encode_u64_record(out, RecordType::kCommit, batch);
}

void encode_log_start(std::string& out, paxos::LogIndex index) {
  encode_u64_record(out, RecordType::kLogStart, index.value());
}

void encode_checkpoint(std::string& out, const Checkpoint& checkpoint) {
  PAXOS_ASSERT(checkpoint.log_start <= checkpoint.log_end,
               "checkpoint of a log ending before it starts");
  const std::size_t start = begin_record(out, RecordType::kCheckpoint);
  append_ballot(out, checkpoint.promise);
  append_ballot(out, checkpoint.accepted_round);
  append_u64(out, checkpoint.decided_idx.value());
  append_u64(out, checkpoint.log_start.value());
  append_u64(out, checkpoint.log_end.value());
  end_record(out, start);
}

DecodeResult decode_record(std::string_view buf, std::size_t offset) {
  PAXOS_ASSERT(offset <= buf.size(), "decode offset past the buffer");
  DecodeResult r;
  const std::size_t left = buf.size() - offset;
  if (left < kHeaderBytes) {
    r.status = DecodeStatus::kIncomplete;
    r.reason = "header cut short (" + std::to_string(left) + " of 9 bytes)";
    return r;
  }
  const char* at = buf.data() + offset;
  const std::uint32_t length = get_u32(at);
  const std::uint32_t stored_crc = get_u32(at + 4);
  const auto raw_type = static_cast<std::uint8_t>(at[8]);
  if (length > kPayloadBytesMax) {
    r.reason = "payload length " + std::to_string(length) + " exceeds the maximum";
    return r;
  }
  if (left - kHeaderBytes < length) {
    r.status = DecodeStatus::kIncomplete;
    r.reason = "record of " + std::to_string(kHeaderBytes + length) + " bytes cut short at " +
               std::to_string(left) + " bytes";
    return r;
  }
  if (crc32c(0, at + 8, std::size_t{length} + 1) != stored_crc) {
    r.reason = "checksum mismatch";
    return r;
  }
  // The CRC matched, so the type and length are what the writer wrote; a bad value now means a
  // bug or a foreign file, still reported as corruption rather than trusted.
  if (!type_known(raw_type)) {
    r.reason = "unknown record type " + std::to_string(raw_type);
    return r;
  }
  const auto type = static_cast<RecordType>(raw_type);
  if (!payload_size_valid(type, length)) {
    r.reason = "payload of " + std::to_string(length) + " bytes is invalid for record type " +
               std::to_string(raw_type);
    return r;
  }
  r.status = DecodeStatus::kOk;
  r.record = Record{type, std::string_view(at + kHeaderBytes, length), kHeaderBytes + length};
  return r;
}

AppendPayload parse_append(const Record& record) {
  PAXOS_ASSERT(record.type == RecordType::kAppend && record.payload.size() >= 8, "not an Append");
  return AppendPayload{paxos::LogIndex(get_u64(record.payload.data())), record.payload.substr(8)};
}

std::uint64_t parse_u64(const Record& record) {
  PAXOS_ASSERT(record.payload.size() == kU64PayloadBytes, "not a u64 record");
  return get_u64(record.payload.data());
}

paxos::Ballot parse_ballot(const Record& record) {
  PAXOS_ASSERT(record.payload.size() == kBallotPayloadBytes, "not a ballot record");
  return get_ballot(record.payload.data());
}

Checkpoint parse_checkpoint(const Record& record) {
  PAXOS_ASSERT(
      record.type == RecordType::kCheckpoint && record.payload.size() == kCheckpointPayloadBytes,
      "not a Checkpoint");
  const char* p = record.payload.data();
  Checkpoint c;
  c.promise = get_ballot(p);
  c.accepted_round = get_ballot(p + kBallotPayloadBytes);
  c.decided_idx = paxos::LogIndex(get_u64(p + 2 * kBallotPayloadBytes));
  c.log_start = paxos::LogIndex(get_u64(p + 2 * kBallotPayloadBytes + 8));
  c.log_end = paxos::LogIndex(get_u64(p + 2 * kBallotPayloadBytes + 16));
  return c;
}

bool same_checkpoint(const Checkpoint& a, const Checkpoint& b) {
  return same_ballot(a.promise, b.promise) && same_ballot(a.accepted_round, b.accepted_round) &&
         a.decided_idx == b.decided_idx && a.log_start == b.log_start && a.log_end == b.log_end;
}

std::string describe(const Checkpoint& c) {
  return "promise " + describe(c.promise) + ", accepted round " + describe(c.accepted_round) +
         ", decided " + std::to_string(c.decided_idx.value()) + ", log [" +
         std::to_string(c.log_start.value()) + ", " + std::to_string(c.log_end.value()) + ")";
}

bool starts_with_checkpoint(std::string_view batch) {
  if (batch.size() < kCheckpointRecordBytes) return false;
  const DecodeResult r = decode_record(batch, 0);
  return r.status == DecodeStatus::kOk && r.record.type == RecordType::kCheckpoint;
}

std::optional<std::uint64_t> trailing_commit_batch(std::string_view batch) {
  if (batch.size() < kCommitRecordBytes) return std::nullopt;
  const DecodeResult r = decode_record(batch, batch.size() - kCommitRecordBytes);
  if (r.status != DecodeStatus::kOk || r.record.type != RecordType::kCommit) return std::nullopt;
  return parse_u64(r.record);
}

CommitScan scan_for_commits(std::string_view buf, std::size_t from) {
  CommitScan scan;
  if (buf.size() < kCommitRecordBytes) return scan;
  // Cheap filters (length 8, type Commit) before the CRC keep this linear in the tail's size.
  for (std::size_t p = from; p + kCommitRecordBytes <= buf.size(); ++p) {
    const char* at = buf.data() + p;
    if (get_u32(at) != kU64PayloadBytes) continue;
    if (static_cast<std::uint8_t>(at[8]) != static_cast<std::uint8_t>(RecordType::kCommit))
      continue;
    if (crc32c(0, at + 8, kU64PayloadBytes + 1) != get_u32(at + 4)) continue;
    const std::uint64_t batch = get_u64(at + kHeaderBytes);
    if (!scan.max_batch || batch > *scan.max_batch) {
      scan.max_batch = batch;
      scan.end_offset = p + kCommitRecordBytes;
    }
  }
  return scan;
}

std::string segment_file_name(std::uint64_t first_batch) {
  std::string digits = std::to_string(first_batch);
  return std::string(20 - digits.size(), '0') + digits + ".wal";
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".wal";
  if (name.size() != 20 + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = name.data() + 20;
  auto [ptr, ec] = std::from_chars(name.data(), end, value);
  if (ec != std::errc() || ptr != end || value == 0) return std::nullopt;
  return value;
}

}  // namespace paxoskv::storage::wal
