// Applies the records of WAL segments to a RecoveredState, one committed batch at a time, and
// checks each record against the state it lands on. Recovery (wal_recovery.h) decides what to do
// with the files; this only reads bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wal_format.h"
#include "wal_recovery.h"

namespace paxoskv::storage {

// The outcome of reading one segment up to its first bad record (or its end).
struct SegmentScan {
  std::size_t committed_end = 0;  // just past the last valid Commit: the state includes it all
  std::uint64_t batches = 0;
  paxos::LogIndex append_end;  // one past the highest index appended by its committed batches
  std::optional<std::size_t> bad_offset;  // the first record that failed to decode or validate
  std::string reason;
  bool bad_but_checksummed = false;  // a valid CRC but nonsense: a bug or foreign data, not a tear
};

class Replayer {
 public:
  explicit Replayer(RecoveredState& state) : state_(state) {}

  // Before the first segment: the batch number its name says it starts at.
  void start_at(std::uint64_t first_batch) { next_batch_ = first_batch; }
  std::uint64_t next_batch() const { return next_batch_; }

  // Applies every complete batch of one whole segment to the state and stops at the first bad
  // record. The segment must begin with a Checkpoint; for the first segment replayed it sets the
  // state, for later ones it must agree with the state replayed so far.
  SegmentScan scan(std::string_view segment);

  // Entries of [log start, log end) that no replayed record gave (they lived in segments before
  // the first one): the first missing index and one past the last, or nullopt when all are held.
  struct Missing {
    paxos::LogIndex from;
    paxos::LogIndex to;
  };
  std::optional<Missing> missing() const;

 private:
  struct Bounds {
    paxos::LogIndex start;
    paxos::LogIndex end;
  };
  paxos::LogIndex log_end() const { return held_from_ + state_.log.size(); }
  std::string validate(const wal::Record& r, std::size_t offset, Bounds& bounds) const;
  void apply(const wal::Record& r, SegmentScan& scan);
  wal::Checkpoint current() const;

  RecoveredState& state_;
  std::uint64_t next_batch_ = 1;
  bool started_ = false;  // a checkpoint has been applied
  // state_.log holds [held_from_, log_end()); [state_.log_start, held_from_) is missing until a
  // LogStart or Truncate record removes it. Always state_.log_start <= held_from_.
  paxos::LogIndex held_from_;
};

}  // namespace paxoskv::storage
