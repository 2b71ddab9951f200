// The replica's persistent state, behind a narrow interface.
//
// Durability contract
// -------------------
// 1. Reads see every earlier write at once, durable or not.
// 2. Writes become durable only by `sync()` (called by the driver, never by the core). All the
//    writes made between two `sync()` calls form one batch that becomes durable atomically: after
//    a crash the storage holds the state as of some completed `sync()`, never a part of a batch.
//    This is what lets a disk-backed implementation group many writes under one fsync (group
//    commit) and lets the core write in any order inside one event.
// 3. The driver may send a message obtained from `OmniPaxos::take_outgoing()` only once every
//    write made before that call is durable, except where the message's SendRule
//    (messages.h) allows it sooner; and it reports each durable batch to the core
//    (OmniPaxos::durability_mark / made_durable), which is how a leader's own log comes to count
//    in a write quorum. Decided entries may be applied and acknowledged at once: a decided index
//    counts durable acceptances only. The driver may keep handling events while an earlier batch
//    is being synced (for example on an I/O thread) as long as it holds back the messages that
//    depend on it.
// 4. Failure: an implementation that cannot write or sync must not return as if it had. A disk
//    implementation ends the process with a clear message (never continue after a failed fsync);
//    the core therefore treats every call as succeeding.
// 5. The log is a sequence of entries at indices [compacted_idx(), log_end()). Entries below
//    compacted_idx() were trimmed away: a snapshot of the state machine, kept by the driver,
//    stands for them. `truncate` only ever removes a suffix that is not decided; the core asserts
//    this. `trim` and `reset_to_snapshot` are writes like any other (batch-atomic, durable on
//    sync()); the driver makes the snapshot they rely on durable BEFORE it calls them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "types.h"

namespace paxoskv::paxos {

class Storage {
 public:
  virtual ~Storage() = default;

  // ---- the log ----
  virtual LogIndex log_end() const = 0;
  // Appends `entries` at log_end().
  virtual void append(std::span<const Entry> entries) = 0;
  // Removes every entry at or after `from` (no-op when from >= log_end()).
  virtual void truncate(LogIndex from) = 0;
  // Appends the entries [from, to) to `out`; requires compacted_idx() <= from <= to <= log_end().
  virtual void read(LogIndex from, LogIndex to, std::vector<Entry>& out) const = 0;

  // ---- compaction ----
  // The first index still held; 0 until something was trimmed. Always <= log_end().
  virtual LogIndex compacted_idx() const = 0;
  // Drops the entries below `index`; requires index <= decided_idx() (so index <= log_end()).
  // A no-op when index <= compacted_idx().
  virtual void trim(LogIndex index) = 0;
  // Replaces the whole log with an empty one starting at `index`: afterwards compacted_idx() ==
  // log_end() == index. Used when a snapshot taken at `index` (standing for the entries
  // [0, index)) was installed from another node. Metadata are untouched.
  virtual void reset_to_snapshot(LogIndex index) = 0;

  // ---- Sequence Paxos metadata ----
  virtual Ballot promise() const = 0;
  virtual void set_promise(const Ballot& ballot) = 0;
  // The ballot in which the current log was last accepted (paper: n_a).
  virtual Ballot accepted_round() const = 0;
  virtual void set_accepted_round(const Ballot& ballot) = 0;
  virtual LogIndex decided_idx() const = 0;
  virtual void set_decided_idx(LogIndex index) = 0;

  // ---- durability ----
  // Makes every earlier write durable (see the contract above).
  virtual void sync() = 0;
};

// Whether `storage` holds nothing at all: no promise, no accepted round, no log, nothing trimmed.
// A driver starts a replica on such storage amnesiac (SequencePaxos::start_amnesiac): it may be
// new, or lost. (An amnesiac replica writes nothing until it has rejoined, so this still holds
// after it crashed while amnesiac.)
inline bool holds_nothing(const Storage& storage) {
  return storage.promise().is_zero() && storage.accepted_round().is_zero() &&
         storage.log_end() == LogIndex(0) && storage.compacted_idx() == LogIndex(0);
}

}  // namespace paxoskv::paxos
