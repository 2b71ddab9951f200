// Rebuilds the replica's state from the WAL segments when a data directory is opened.
//
// Rules (the durability contract of paxos/storage.h, seen from the disk):
// - Segments are replayed in the order of their names; each must start at the batch number that
//   follows the previous segment's last batch, and the first at batch 1. A gap is a lost segment.
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
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "paxos/types.h"
#include "result.h"
#include "wal_writer.h"

namespace paxoskv::storage {

struct RecoveredState {
  std::vector<paxos::Entry> log;
  paxos::Ballot promise;
  paxos::Ballot accepted_round;
  paxos::LogIndex decided_idx;
  WalTail tail;  // where the writer continues
};

// What recovery found and did, for the server's startup log and for tests.
struct RecoveryReport {
  bool fresh = false;  // no segment at all: a new data directory (or a wiped one; see issue 4)
  std::uint64_t segments = 0;        // segments replayed (after any deletion)
  std::uint64_t batches = 0;         // batches applied
  std::uint64_t torn_bytes_cut = 0;  // torn tail removed from the last segment
  bool repaired = false;             // corruption was cut away because options.repair was set
  std::vector<std::string> actions;  // one human-readable line per file cut or removed
};

// Replays <wal_dir>; fills `state` and `report`. Changes files only to cut a torn tail, to remove
// a segment left empty, or (with `repair`) to cut corruption; every change is fsynced.
Status recover_wal(const std::string& wal_dir, bool repair, RecoveredState& state,
                   RecoveryReport& report);

}  // namespace paxoskv::storage
