// paxos::Storage on a data directory: a segmented write-ahead log with CRC32C-framed records.
//
//   <dir>/LOCK                       flock()ed for the lifetime of the DiskStorage; holds the pid
//   <dir>/wal/<first batch>.wal      segments (format: wal_format.h; recovery: wal_recovery.h)
//   <dir>/snapshots/<index>.snap     not this class's: SnapshotStore (snapshot_store.h)
//
// Every write is applied to the in-memory state at once (reads see it, contract rule 1) and
// encoded into a pending buffer. `sync()` seals that buffer into a batch closed by a Commit record
// and writes it with one pwrite and one fdatasync (group commit, rule 2). Metadata (promise,
// accepted round, decided index) are WAL records like the entries, so a crash can never leave them
// half-written, and only their last value per batch is written. trim() and reset_to_snapshot()
// are records too (LogStart; Truncate + LogStart), so they are batch-atomic like everything else.
//
// Memory and disk stay bounded by the trimmed log: the in-memory log is a deque holding only
// [compacted_idx(), log_end()), and whole segments whose entries all lie below the compacted index
// are deleted by the writer once that index is durable (the rule and why it is crash-safe:
// wal_recovery.h). The loop thread makes both segment decisions in seal_batch(): when a batch
// starts a new segment (it then begins with a Checkpoint of the metadata, so recovery can start
// from that segment) and which older segments the batch makes obsolete (SealedBatch).
//
// Threading contract (for a server that keeps its event loop running during fsync, rule 3):
// - The loop thread owns the DiskStorage: every paxos::Storage call and seal_batch().
// - The I/O thread owns writer(): it calls writer().append_and_sync(batch) with the batches in the
//   order seal_batch() returned them, each exactly once, and posts a completion back to the loop;
//   the loop releases the messages and replies that depended on a batch only after that
//   completion. In this mode the loop never calls sync() (which would use the writer itself).
// - writer().fsync_stats(), bytes_written() and segments_deleted() may be read from any thread.
// - The DiskStorage must outlive the I/O thread's last use of writer().
// - Simplest use, everything on one thread: call sync() (= append_and_sync(seal_batch())).
//
// For the driver: the snapshot that a trim or reset relies on must be durable BEFORE trim() or
// reset_to_snapshot() is called (storage.h rule 5); this class knows nothing of snapshots. At
// start, plan_start() (start_plan.h) checks the newest snapshot against the recovered log.
//
// Failure: open() returns expected failures (directory in use, corrupt WAL, unreadable directory)
// as values; the server reports them and exits. Disk errors while running end the process through
// fatal() (contract rule 4).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "fs_util.h"
#include "paxos/storage.h"
#include "result.h"
#include "sealed_batch.h"
#include "wal_format.h"
#include "wal_recovery.h"
#include "wal_writer.h"

namespace paxoskv::storage {

struct DiskStorageOptions {
  // A segment is closed once the next batch would take it past this size (a batch larger than
  // that gets a segment of its own). Bounds what one corrupt segment can cost, and is the
  // granularity of deletion: the WAL holds the untrimmed log plus at most about one segment.
  std::uint64_t segment_bytes_max = 64u << 20;
  // On corruption that a crash cannot explain, cut the log at the last good batch before it and
  // start, instead of refusing to (the server's --repair flag). Loses data; logged as a warning.
  bool repair = false;
  // false skips the fdatasync of every batch: a power loss can then lose acknowledged writes,
  // and even leave the WAL unreadable (segments deleted for a trim that never reached the disk).
  // Only for measuring what durability costs (the server warns loudly). Directory fsyncs stay.
  bool fsync = true;
  // Keep WAL segments extended with zeros this far ahead of the log (WalWriter::Options): batches
  // then overwrite allocated space and their fdatasync writes only data, not the inode. 0 = off
  // (files hold exactly their batches, as byte-level tests expect). The server uses 1 MiB.
  std::uint64_t zero_ahead_bytes = 0;
};

class DiskStorage final : public paxos::Storage {
 public:
  // Creates `dir` (and dir/wal) if missing, locks it, and recovers the WAL.
  static Result<std::unique_ptr<DiskStorage>> open(const std::string& dir,
                                                   const DiskStorageOptions& options);
  // Releases the lock. Writes not yet synced are lost, exactly as a crash would lose them.
  ~DiskStorage() override;
  DiskStorage(const DiskStorage&) = delete;
  DiskStorage& operator=(const DiskStorage&) = delete;

  // ---- paxos::Storage ----
  paxos::LogIndex log_end() const override { return compacted_ + log_.size(); }
  void append(std::span<const paxos::Entry> entries) override;
  void truncate(paxos::LogIndex from) override;
  void read(paxos::LogIndex from, paxos::LogIndex to,
            std::vector<paxos::Entry>& out) const override;

  paxos::LogIndex compacted_idx() const override { return compacted_; }
  void trim(paxos::LogIndex index) override;
  void reset_to_snapshot(paxos::LogIndex index) override;

  paxos::Ballot promise() const override { return promise_; }
  void set_promise(const paxos::Ballot& ballot) override;
  paxos::Ballot accepted_round() const override { return accepted_round_; }
  void set_accepted_round(const paxos::Ballot& ballot) override;
  paxos::LogIndex decided_idx() const override { return decided_idx_; }
  void set_decided_idx(paxos::LogIndex index) override;

  // Seals and writes on the calling thread: writer().append_and_sync(seal_batch()).
  void sync() override;

  // ---- the asynchronous split (see the threading contract above) ----
  // Loop thread: the encoded records of every write since the previous seal, closed by a Commit
  // record with the next batch number, and the segment decisions (see SealedBatch); empty if
  // nothing was written. After it returns, the writes belong to the returned batch and to no
  // later one.
  SealedBatch seal_batch();
  // Whether there are writes that no sealed batch holds yet (loop thread).
  bool has_unsealed_writes() const;
  // The same, ignoring the decided index. No message vouches for a durable decided index (it
  // records what a write quorum already holds durably; losing its last value in a crash only
  // means learning it again), so a driver may let it wait for the next batch that has to be
  // written anyway instead of paying an fdatasync for it alone.
  bool has_unsealed_writes_beyond_decided_idx() const;
  WalWriter& writer() { return *writer_; }
  const WalWriter& writer() const { return *writer_; }

  // What recovery found and did when this storage was opened.
  const RecoveryReport& recovery_report() const { return report_; }
  const std::string& dir() const { return dir_; }

  // For status (loop thread). The WAL's segments and their bytes as the sealed batches leave
  // them: a batch counts once sealed, a segment stops counting once a sealed batch made it
  // obsolete (the writer deletes it right after that batch's fsync; writer().segments_deleted()
  // counts the deletions done).
  std::size_t wal_segments() const { return segments_.size(); }
  std::uint64_t wal_bytes() const { return wal_bytes_; }

 private:
  DiskStorage(std::string dir, const DiskStorageOptions& options, std::unique_ptr<DirLock> lock,
              RecoveredState state, RecoveryReport report, std::unique_ptr<WalWriter> writer);

  const std::string dir_;
  std::unique_ptr<DirLock> lock_;
  RecoveryReport report_;

  wal::Checkpoint checkpoint() const;
  // Puts the batch in the current segment or a new one, and lists the segments it makes obsolete.
  void place(SealedBatch& batch);

  // In-memory state (loop thread): what reads see, synced or not.
  std::deque<paxos::Entry> log_;  // the entries [compacted_, log_end())
  paxos::LogIndex compacted_;
  paxos::Ballot promise_;
  paxos::Ballot accepted_round_;
  paxos::LogIndex decided_idx_;

  // Unsealed writes: encoded log records, plus metadata encoded only at seal time (last value).
  std::string pending_;
  paxos::LogIndex pending_append_end_;  // one past the highest index appended in pending_
  bool promise_dirty_ = false;
  bool accepted_round_dirty_ = false;
  bool decided_dirty_ = false;
  std::uint64_t next_seal_batch_;

  // The segments as the sealed batches leave them (loop thread), oldest first, and the state the
  // last sealed batch left (what the next segment's checkpoint records).
  const std::uint64_t segment_bytes_max_;
  std::deque<SegmentSummary> segments_;
  std::uint64_t wal_bytes_ = 0;
  wal::Checkpoint sealed_;

  std::unique_ptr<WalWriter> writer_;
};

}  // namespace paxoskv::storage
