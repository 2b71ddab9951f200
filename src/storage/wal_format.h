// The on-disk format of the write-ahead log: record framing, encoding and decoding.
//
// A record is
//
//   [u32 payload length][u32 crc32c(type, payload)][u8 type][payload]
//
// with all integers little-endian. The CRC covers the type byte so that a flipped type cannot turn
// one valid record into another. A batch is a run of records closed by a Commit record carrying
// the batch number (consecutive, without gaps across the WAL); recovery applies a batch only
// once it has seen its Commit, which is what makes every batch atomic.
//
// Payloads:
//   Append         u64 log index, entry bytes        (one record per entry)
//   Truncate       u64 from: the log now ends at `from`; if it started above `from`, it is now
//                  empty at `from` (only reset_to_snapshot writes that second case)
//   Promise        ballot (u32 config, u32 n, u64 priority, u64 pid)
//   AcceptedRound  ballot
//   Decided        u64 decided index
//   Commit         u64 batch number
//   LogStart       u64 index: the entries below `index` are gone (trimmed; a snapshot stands for
//                  them); if the log ended below `index` it is now empty at `index`
//   Checkpoint     promise ballot, accepted-round ballot, u64 decided index, u64 log start,
//                  u64 log end: the whole state except the entries, as the previous batch left it
//
// Segments. Segment files live in <data dir>/wal/ and are named by the number of the first batch
// they hold, zero-padded to 20 digits so that names sort like the numbers
// ("00000000000000000001.wal"). Every segment begins with a Checkpoint record, inside its first
// batch, so recovery can start from any segment: the checkpoint gives the metadata and the log's
// bounds [start, end), and the entries come from Append records in this and later segments. The
// segments before it may then be deleted once every entry they appended lies below the durable
// log start (wal_recovery.h explains the rule and why it survives a crash).
//
// Compatibility: data directories written before LogStart and Checkpoint existed (segments that
// do not begin with a Checkpoint) are refused as corrupt. Nothing had been deployed with them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "paxos/types.h"

namespace paxoskv::storage::wal {

enum class RecordType : std::uint8_t {
  // 0 is not a type: a run of zero bytes (a hole left by a crash) never decodes as a record.
  kAppend = 1,
  kTruncate = 2,
  kPromise = 3,
  kAcceptedRound = 4,
  kDecided = 5,
  kCommit = 6,
  kLogStart = 7,
  kCheckpoint = 8,
};

inline constexpr std::size_t kHeaderBytes = 9;  // length + crc + type
inline constexpr std::size_t kU64PayloadBytes = 8;
inline constexpr std::size_t kBallotPayloadBytes = 24;
inline constexpr std::size_t kCommitRecordBytes = kHeaderBytes + kU64PayloadBytes;
inline constexpr std::size_t kCheckpointPayloadBytes = 2 * kBallotPayloadBytes + 3 * 8;
inline constexpr std::size_t kCheckpointRecordBytes = kHeaderBytes + kCheckpointPayloadBytes;
// Larger lengths are treated as corruption rather than as a record to wait for: no entry is this
// large, and a flipped high bit in a length must not look like a merely incomplete record.
inline constexpr std::uint32_t kPayloadBytesMax = 256u << 20;

// ---- encoding: each call appends one complete record to `out` (no other allocation) ----
void encode_append(std::string& out, paxos::LogIndex index, std::string_view entry);
void encode_truncate(std::string& out, paxos::LogIndex from);
void encode_ballot(std::string& out, RecordType type, const paxos::Ballot& ballot);
void encode_decided(std::string& out, paxos::LogIndex index);
void encode_commit(std::string& out, std::uint64_t batch);
void encode_log_start(std::string& out, paxos::LogIndex index);

// Everything a segment needs besides the entries to start recovery from.
struct Checkpoint {
  paxos::Ballot promise;
  paxos::Ballot accepted_round;
  paxos::LogIndex decided_idx;
  paxos::LogIndex log_start;  // compacted index: the first entry held
  paxos::LogIndex log_end;
};
void encode_checkpoint(std::string& out, const Checkpoint& checkpoint);

// ---- decoding ----
struct Record {
  RecordType type{};
  std::string_view payload;    // points into the decoded buffer
  std::size_t size_bytes = 0;  // header + payload: the offset of the next record
};

enum class DecodeStatus {
  kOk,
  kIncomplete,  // the buffer ends inside the record: a torn write, or damage to its length
  kCorrupt,     // checksum mismatch, unknown type, or a payload size the type cannot have
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kCorrupt;
  Record record;
  std::string reason;  // why, when status != kOk
};

// Decodes the record starting at `buf[offset]`.
DecodeResult decode_record(std::string_view buf, std::size_t offset);

// Payload accessors; each requires a record of the matching type returned by decode_record
// (which already checked the payload size).
struct AppendPayload {
  paxos::LogIndex index;
  std::string_view entry;
};
AppendPayload parse_append(const Record& record);
std::uint64_t parse_u64(const Record& record);     // Truncate, Decided, Commit, LogStart
paxos::Ballot parse_ballot(const Record& record);  // Promise, AcceptedRound
Checkpoint parse_checkpoint(const Record& record);
// Field-by-field, config id included (Ballot::operator== ignores it).
bool same_checkpoint(const Checkpoint& a, const Checkpoint& b);
std::string describe(const Checkpoint& checkpoint);  // for error messages

// Whether `batch` begins with a valid Checkpoint record (the writer's check that a batch meant to
// start a segment does).
bool starts_with_checkpoint(std::string_view batch);

// The batch number of the Commit record that ends `batch`, or nullopt if `batch` does not end
// with a valid Commit record. The writer uses it to check that batches arrive in seal order.
std::optional<std::uint64_t> trailing_commit_batch(std::string_view batch);

// Looks for valid Commit records at every byte offset of buf[from, end). Recovery uses it past a
// damaged record, where the framing is lost, to tell a torn tail (nothing valid follows) from
// corruption of data that was already synced (a later batch follows). Returns the largest batch
// number found and the offset just past that record.
struct CommitScan {
  std::optional<std::uint64_t> max_batch;
  std::size_t end_offset = 0;
};
CommitScan scan_for_commits(std::string_view buf, std::size_t from);

// "00000000000000000042.wal" for 42, and back; nullopt for names that are not segment names.
std::string segment_file_name(std::uint64_t first_batch);
std::optional<std::uint64_t> parse_segment_file_name(std::string_view name);

}  // namespace paxoskv::storage::wal
