// Rebuilds the replica's state from the WAL segments when a data directory is opened.
//
// Rules (the durability contract of paxos/storage.h, seen from the disk):
// - Segments are replayed in the order of their names. The first one may have any number: every
//   segment begins with a Checkpoint (wal_format.h), and the first one's checkpoint gives the
//   metadata and the log's bounds [start, end) to replay from; the entries in [start, end) that
//   it refers to lived in older segments and must be trimmed away by the records that follow.
//   Each later segment must start at the batch number that follows the previous segment's last
//   batch (a gap is a lost segment) and its checkpoint must agree with the state replayed so far.
// - At the end, every entry in [log start, log end) must have been replayed from some segment. A
//   missing one means segments were lost at the front: open fails with kCorrupt naming the first
//   segment (--repair cannot help: no cut brings those entries back).
// - Records are applied one batch at a time, when the batch's Commit record is reached, so a
//   batch without its Commit never happened.
// - A torn tail after the last valid Commit of the LAST segment is what a crash during a write
//   leaves behind: it is cut off (the batch was never reported durable), with a log line naming the
//   file, the offset and the byte count.
// - Anything invalid elsewhere (an earlier segment, or before a later valid Commit in the last
//   one) damaged data that had been synced: open fails with kCorrupt naming the file and offset,
//   unless `repair` is set, in which case the WAL is cut at the last valid Commit before the damage
//   and every later segment is deleted, with a warning.
//
// Telling a torn tail from damage inside the last segment: the writer starts batch b+2 only after
// batch b+1 was fsynced. So if, past the first bad record, a valid Commit of batch b+2 or later
// exists (or a Commit of b+1 followed by a valid record), then synced data was damaged. Otherwise
// the bad bytes belong to the one batch whose write was interrupted, even if the disk persisted
// its pages out of order.
//
// Deleting old segments (done by the WalWriter after a batch's fdatasync, and here at open to
// finish a deletion a crash interrupted): a segment may go when (a) every Append record in it has
// an index below the durable log start, (b) it is not the last segment, and (c) every older
// segment is gone or goes first. Why that is crash-safe:
// - (a) the entries it holds are below the log start, so no replay needs them: whatever log
//   start the surviving records establish, it covers them (a later reset_to_snapshot may lower
//   the log start, but it also empties the log, so it never needs old entries back).
// - the metadata it holds (promise, accepted round, decided) is repeated in the checkpoint that
//   begins the next segment, which was durable before the deletion began: the writer deletes only
//   after the fdatasync of a batch that lies in a later segment, and a segment's directory entry
//   is fsynced when it is created.
// - (c) with one directory fsync after each unlink, oldest first, a crash at any moment leaves
//   a contiguous run of segments, so a gap in the numbering still means a lost segment.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "paxos/types.h"
#include "result.h"
#include "wal_writer.h"

namespace paxoskv::storage {

// What the loop thread needs to know about a segment to decide when it may be deleted.
struct SegmentSummary {
  std::uint64_t first_batch = 0;
  std::uint64_t bytes = 0;     // committed bytes (the file's size once recovery is done)
  paxos::LogIndex append_end;  // one past the highest index an Append in it wrote; 0 if none
};

struct RecoveredState {
  paxos::LogIndex log_start;     // the compacted index: the first entry held
  std::deque<paxos::Entry> log;  // the entries [log_start, log_start + log.size())
  paxos::Ballot promise;
  paxos::Ballot accepted_round;
  paxos::LogIndex decided_idx;
  std::vector<SegmentSummary> segments;  // the segments kept, oldest first
  WalTail tail;                          // where the writer continues
};

// What recovery found and did, for the server's startup log and for tests.
struct RecoveryReport {
  bool fresh = false;  // no segment at all: a new data directory (or a wiped one; see issue 4)
  std::uint64_t segments = 0;          // segments replayed and kept (after any deletion)
  std::uint64_t first_batch = 0;       // the first kept segment's first batch (0: none)
  std::uint64_t batches = 0;           // batches applied
  std::uint64_t torn_bytes_cut = 0;    // torn tail removed from the last segment
  std::uint64_t obsolete_deleted = 0;  // obsolete segments a crash had left behind, deleted now
  bool repaired = false;               // corruption was cut away because options.repair was set
  std::vector<std::string> actions;    // one human-readable line per file cut or removed
};

// Replays <wal_dir>; fills `state` and `report`. Changes files only to cut a torn tail, to remove
// a segment left empty, to delete obsolete segments (see above), or (with `repair`) to cut
// corruption; every change is fsynced.
Status recover_wal(const std::string& wal_dir, bool repair, RecoveredState& state,
                   RecoveryReport& report);

}  // namespace paxoskv::storage
