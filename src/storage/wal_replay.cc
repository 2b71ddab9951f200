#include "wal_replay.h"

#include <algorithm>
#include <vector>

#include "paxos/assert.h"
#include "wal_format.h"

namespace paxoskv::storage {

using paxos::LogIndex;
using wal::DecodeStatus;
using wal::Record;
using wal::RecordType;

SegmentScan Replayer::scan(std::string_view buf) {
  SegmentScan out;
  std::vector<Record> batch;                   // views into buf, applied when the Commit arrives
  Bounds bounds{state_.log_start, log_end()};  // the log as the batch so far leaves it
  std::size_t off = 0;
  while (off < buf.size()) {
    wal::DecodeResult d = wal::decode_record(buf, off);
    if (d.status != DecodeStatus::kOk) {
      out.bad_offset = off;
      out.reason = std::move(d.reason);
      break;
    }
    if (std::string problem = validate(d.record, off, bounds); !problem.empty()) {
      out.bad_offset = off;
      out.reason = std::move(problem);
      out.bad_but_checksummed = true;
      break;
    }
    off += d.record.size_bytes;
    if (d.record.type != RecordType::kCommit) {
      batch.push_back(d.record);
      continue;
    }
    for (const Record& r : batch) apply(r, out);
    batch.clear();
    PAXOS_ASSERT(bounds.start == state_.log_start && bounds.end == log_end(),
                 "replay: validation and application disagree on the log bounds");
    ++next_batch_;
    ++out.batches;
    out.committed_end = off;
  }
  return out;
}

// Checks a record against the state the batch has built so far; "" when it fits.
std::string Replayer::validate(const Record& r, std::size_t offset, Bounds& bounds) const {
  if (offset == 0 && r.type != RecordType::kCheckpoint) {
    return "the segment does not begin with a checkpoint record (WAL segments written before "
           "log trimming existed are not readable)";
  }
  switch (r.type) {
    case RecordType::kCheckpoint: {
      if (offset != 0) return "checkpoint record inside a segment";
      const wal::Checkpoint cp = wal::parse_checkpoint(r);
      if (cp.log_start > cp.log_end) return "checkpoint of a log that ends before it starts";
      if (started_ && !wal::same_checkpoint(cp, current())) {
        return "checkpoint (" + wal::describe(cp) + ") disagrees with the log before it (" +
               wal::describe(current()) + ")";
      }
      bounds = Bounds{cp.log_start, cp.log_end};
      return {};
    }
    case RecordType::kAppend: {
      const LogIndex index = wal::parse_append(r).index;
      if (index != bounds.end) {
        return "append at index " + std::to_string(index.value()) + " but the log ends at " +
               std::to_string(bounds.end.value());
      }
      bounds.end = bounds.end + 1;
      return {};
    }
    case RecordType::kTruncate: {
      const LogIndex from(wal::parse_u64(r));
      bounds.end = std::min(bounds.end, from);
      bounds.start = std::min(bounds.start, from);
      return {};
    }
    case RecordType::kLogStart: {
      const LogIndex index(wal::parse_u64(r));
      bounds.start = std::max(bounds.start, index);
      bounds.end = std::max(bounds.end, index);
      return {};
    }
    case RecordType::kCommit:
      if (wal::parse_u64(r) != next_batch_) {
        return "commit of batch " + std::to_string(wal::parse_u64(r)) + " where batch " +
               std::to_string(next_batch_) + " was expected";
      }
      return {};
    case RecordType::kPromise:
    case RecordType::kAcceptedRound:
    case RecordType::kDecided:
      return {};
  }
  return "unknown record type";
}

void Replayer::apply(const Record& r, SegmentScan& scan) {
  switch (r.type) {
    case RecordType::kCheckpoint:
      if (!started_) {
        const wal::Checkpoint cp = wal::parse_checkpoint(r);
        state_.promise = cp.promise;
        state_.accepted_round = cp.accepted_round;
        state_.decided_idx = cp.decided_idx;
        state_.log_start = cp.log_start;
        state_.log.clear();
        held_from_ = cp.log_end;  // [log_start, log_end) must be trimmed away by later records
        started_ = true;
      }
      break;
    case RecordType::kAppend: {
      const wal::AppendPayload a = wal::parse_append(r);
      state_.log.emplace_back(a.entry);  // the one copy out of the file
      scan.append_end = std::max(scan.append_end, a.index + 1);
      break;
    }
    case RecordType::kTruncate: {
      const LogIndex from(wal::parse_u64(r));
      if (from >= log_end()) break;
      if (from >= held_from_) {
        state_.log.resize(from - held_from_);
      } else {  // below what is held: the log is now empty at `from` (reset_to_snapshot)
        state_.log.clear();
        held_from_ = from;
        state_.log_start = std::min(state_.log_start, from);
      }
      break;
    }
    case RecordType::kLogStart: {
      const LogIndex index(wal::parse_u64(r));
      if (index <= state_.log_start) break;
      state_.log_start = index;
      if (index > held_from_) {
        const std::uint64_t drop = std::min<std::uint64_t>(index - held_from_, state_.log.size());
        state_.log.erase(state_.log.begin(),
                         state_.log.begin() + static_cast<std::ptrdiff_t>(drop));
        held_from_ = index;
      }
      break;
    }
    case RecordType::kPromise:
      state_.promise = wal::parse_ballot(r);
      break;
    case RecordType::kAcceptedRound:
      state_.accepted_round = wal::parse_ballot(r);
      break;
    case RecordType::kDecided:
      state_.decided_idx = LogIndex(wal::parse_u64(r));
      break;
    case RecordType::kCommit:
      PAXOS_ASSERT(false, "a Commit inside a batch");
  }
}

wal::Checkpoint Replayer::current() const {
  return wal::Checkpoint{state_.promise, state_.accepted_round, state_.decided_idx,
                         state_.log_start, log_end()};
}

std::optional<Replayer::Missing> Replayer::missing() const {
  PAXOS_ASSERT(state_.log_start <= held_from_, "replay: log start above the entries held");
  if (state_.log_start == held_from_) return std::nullopt;
  return Missing{state_.log_start, held_from_};
}

}  // namespace paxoskv::storage
