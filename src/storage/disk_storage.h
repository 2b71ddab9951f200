// paxos::Storage on a data directory: a segmented write-ahead log with CRC32C-framed records.
//
//   <dir>/LOCK                       flock()ed for the lifetime of the DiskStorage; holds the pid
//   <dir>/wal/<first batch>.wal      segments (format: wal_format.h; recovery: wal_recovery.h)
//
// Every write is applied to the in-memory state at once (reads see it, contract rule 1) and
// encoded into a pending buffer. `sync()` seals that buffer into a batch closed by a Commit record
// and writes it with one pwrite and one fdatasync (group commit, rule 2). Metadata (promise,
// accepted round, decided index) are WAL records like the entries, so a crash can never leave them
// half-written, and only their last value per batch is written.
//
// Threading contract (for a server that keeps its event loop running during fsync, rule 3):
// - The loop thread owns the DiskStorage: every paxos::Storage call and seal_batch().
// - The I/O thread owns writer(): it calls writer().append_and_sync(batch) with the batches in the
//   order seal_batch() returned them, each exactly once, and posts a completion back to the loop;
//   the loop releases the messages and replies that depended on a batch only after that
//   completion. In this mode the loop never calls sync() (which would use the writer itself).
// - writer().fsync_stats() may be read from any thread.
// - The DiskStorage must outlive the I/O thread's last use of writer().
// - Simplest use, everything on one thread: call sync() (= append_and_sync(seal_batch())).
//
// Not yet (issue 4, next part): trimming. The WAL only grows. Deleting old segments below a
// snapshot needs (a) a log that starts above index 0, which paxos::Storage cannot express yet,
// and (b) the metadata records re-written into a newer segment first, since the latest promise may
// live only in an old one; recovery would then accept a first segment other than batch 1.
//
// Failure: open() returns expected failures (directory in use, corrupt WAL, unreadable directory)
// as values; the server reports them and exits. Disk errors while running end the process through
// fatal() (contract rule 4).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fs_util.h"
#include "paxos/storage.h"
#include "result.h"
#include "wal_recovery.h"
#include "wal_writer.h"

namespace paxoskv::storage {

struct DiskStorageOptions {
  // A segment is closed once the next batch would take it past this size. Bounds what one
  // corrupt segment can cost and (later) the granularity of trimming.
  std::uint64_t segment_bytes_max = 64u << 20;
  // On corruption that a crash cannot explain, cut the log at the last good batch before it and
  // start, instead of refusing to (the server's --repair flag). Loses data; logged as a warning.
  bool repair = false;
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
  paxos::LogIndex log_end() const override { return paxos::LogIndex(log_.size()); }
  void append(std::span<const paxos::Entry> entries) override;
  void truncate(paxos::LogIndex from) override;
  void read(paxos::LogIndex from, paxos::LogIndex to,
            std::vector<paxos::Entry>& out) const override;

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
  // record with the next batch number; empty if nothing was written. After it returns, the writes
  // belong to the returned batch and to no later one.
  std::string seal_batch();
  // Whether there are writes that no sealed batch holds yet (loop thread).
  bool has_unsealed_writes() const;
  WalWriter& writer() { return *writer_; }
  const WalWriter& writer() const { return *writer_; }

  // What recovery found and did when this storage was opened.
  const RecoveryReport& recovery_report() const { return report_; }
  const std::string& dir() const { return dir_; }

 private:
  DiskStorage(std::string dir, std::unique_ptr<DirLock> lock, RecoveredState state,
              RecoveryReport report, std::unique_ptr<WalWriter> writer);

  const std::string dir_;
  std::unique_ptr<DirLock> lock_;
  RecoveryReport report_;

  // In-memory state (loop thread): what reads see, synced or not.
  std::vector<paxos::Entry> log_;
  paxos::Ballot promise_;
  paxos::Ballot accepted_round_;
  paxos::LogIndex decided_idx_;

  // Unsealed writes: encoded log records, plus metadata encoded only at seal time (last value).
  std::string pending_;
  bool promise_dirty_ = false;
  bool accepted_round_dirty_ = false;
  bool decided_dirty_ = false;
  std::uint64_t next_seal_batch_;

  std::unique_ptr<WalWriter> writer_;
};

}  // namespace paxoskv::storage
