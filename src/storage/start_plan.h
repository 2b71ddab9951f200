// What a restarting server does with its newest snapshot and its recovered log, and the two ways
// they can contradict each other ("a snapshot without its log", "a log without its snapshot").
//
// The state machine restarts from the newest snapshot at index s (the entries [0, s)) and applies
// the log's decided entries from s on. That needs the log to start at or below s; the order
// "snapshot durable, then trim" (snapshot_store.h) guarantees it, so anything else is damage.
#pragma once

#include <optional>

#include "paxos/types.h"
#include "result.h"

namespace paxoskv::storage {

struct StartPlan {
  // Restore the state machine from the snapshot at this index; nullopt: start from the empty
  // state machine (nothing was ever trimmed).
  std::optional<paxos::LogIndex> snapshot;
  // The snapshot is ahead of the log's decided index: a transfer finished (the snapshot file is
  // durable) but the crash came before the core's batch that resets the log to it. The driver
  // completes that install before creating the core: storage.reset_to_snapshot(s),
  // storage.set_decided_idx(s), storage.sync(). The snapshot holds only decided entries.
  bool reset_log_to_snapshot = false;
};

// `wal_fresh`: recovery found no WAL segment at all (DiskStorage::recovery_report().fresh).
// Errors (kCorrupt, with a message for the operator):
// - a snapshot but no WAL: the log, and with it every promise this node made, was lost while
//   the snapshot survived. Starting would let the node break a promise, so it must rejoin as a
//   node without memory (move the whole data directory away) or get its wal/ back.
// - a log trimmed above the newest snapshot (or trimmed with no snapshot at all): the entries
//   between are in neither.
Result<StartPlan> plan_start(std::optional<paxos::LogIndex> newest_snapshot, bool wal_fresh,
                             paxos::LogIndex log_start, paxos::LogIndex decided_idx);

}  // namespace paxoskv::storage
