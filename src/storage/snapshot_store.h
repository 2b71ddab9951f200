// Snapshots of the state machine on disk: <data dir>/snapshots/<20-digit index>.snap, each
// standing for the log entries [0, index) (format: snapshot_file.h).
//
// Writing is tmp file, write, fsync, rename, directory fsync, so a crash leaves either the old
// set of snapshots or the new one, plus maybe a temporary file that open() removes. After each
// new snapshot only the newest `keep` remain.
//
// For the driver (the order that keeps a restart possible, storage.h rule 5):
// 1. write(index, payload) (durable when it returns), THEN trim the log at or below `index`.
//    Never trim above the newest snapshot: at restart the state machine starts from the newest
//    snapshot and replays the log from there, so the log must start at or below it.
// 2. Receiving: begin_receive(), add() each chunk, finish() (durable when it returns), THEN tell
//    the core (which resets its log to the snapshot in its next batch). A crash between the two
//    leaves a snapshot ahead of the log's decided index: see plan_start() in start_plan.h.
//
// Threading: not thread-safe; one thread uses a store and its receivers (file I/O happens in the
// calls, on the caller's thread). The store must outlive its receivers.
//
// Failure: open() returns expected problems as values (corrupt newest snapshot, unreadable
// directory). Write and fsync failures of write() and of a receiver end the process through
// fatal(), like the WAL writer. Reading for a transfer, and everything a peer sends, fail as
// values (kNotFound: not held or pruned meanwhile; kRejected: bad chunk or bad snapshot; kIo).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paxos/types.h"
#include "result.h"

namespace paxoskv::storage {

struct SnapshotStoreOptions {
  // How many snapshots to keep (the newest ones); at least 1. Two let a transfer of the previous
  // snapshot finish while a new one is written.
  std::size_t keep = 2;
  // The largest payload a receiver accepts, so a peer cannot fill the disk.
  std::uint64_t receive_bytes_max = 1ull << 30;
  // A corrupt newest snapshot is moved aside (renamed *.corrupt) and the next newest used,
  // instead of refusing to open (the server's --repair flag).
  bool repair = false;
};

struct SnapshotInfo {
  paxos::LogIndex index;
  std::string path;
  std::uint64_t size_bytes = 0;  // of the file, header included: what a transfer sends
};

// A piece of a snapshot file for a transfer.
struct SnapshotChunk {
  std::uint64_t offset = 0;
  std::string data;
  std::uint64_t total_bytes = 0;  // of the whole file, header included
  bool last() const { return offset + data.size() == total_bytes; }
};

class SnapshotReceiver;

class SnapshotStore {
 public:
  using Receiver = SnapshotReceiver;

  // Uses <data_dir>/snapshots/, creating it (and data_dir) if missing; removes leftover
  // temporary files (logging each), and checks the newest snapshot completely (header, length,
  // payload CRC).
  static Result<std::unique_ptr<SnapshotStore>> open(const std::string& data_dir,
                                                     const SnapshotStoreOptions& options);
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  std::optional<SnapshotInfo> latest() const;
  const std::vector<SnapshotInfo>& snapshots() const { return held_; }  // oldest first
  std::uint64_t bytes() const;                                          // of all held files
  const std::string& dir() const { return dir_; }

  // The payload of a held snapshot, verified (header, length, CRC); kCorrupt names the file.
  Result<std::string> load(paxos::LogIndex index) const;

  // Durably stores a snapshot (replacing one at the same index), then prunes.
  void write(paxos::LogIndex index, std::string_view payload);

  // Up to `max_bytes` of the file of snapshot `index` from `offset`.
  Result<SnapshotChunk> read_chunk(paxos::LogIndex index, std::uint64_t offset,
                                   std::size_t max_bytes) const;

  // Starts receiving the file of snapshot `index`, `total_bytes` long (header included).
  Result<std::unique_ptr<SnapshotReceiver>> begin_receive(paxos::LogIndex index,
                                                          std::uint64_t total_bytes);

 private:
  friend class SnapshotReceiver;
  SnapshotStore(std::string dir, const SnapshotStoreOptions& options,
                std::vector<SnapshotInfo> held);
  const SnapshotInfo* find(paxos::LogIndex index) const;
  // Puts a durable file in the list (replacing one at the same index) and prunes.
  void add_and_prune(SnapshotInfo info);

  const std::string dir_;
  const SnapshotStoreOptions options_;
  std::vector<SnapshotInfo> held_;  // sorted by index
  std::uint64_t next_receive_id_ = 1;
};

// One incoming snapshot: chunks in order into a temporary file, checked as a whole at finish().
// Destroying an unfinished receiver aborts it.
class SnapshotReceiver {
 public:
  ~SnapshotReceiver();
  SnapshotReceiver(const SnapshotReceiver&) = delete;
  SnapshotReceiver& operator=(const SnapshotReceiver&) = delete;

  // The next chunk: `offset` must equal the bytes received so far (kRejected otherwise: out of
  // order, overlapping, or past total_bytes; the receiver stays usable for the right chunk).
  // Returns the bytes received so far.
  Result<std::uint64_t> add(std::uint64_t offset, std::string_view bytes);
  // Checks length, header, index and payload CRC; then fsync, rename into place, directory
  // fsync, prune. On kRejected the temporary file is gone and the receiver is finished.
  Result<SnapshotInfo> finish();
  // Removes the temporary file; later calls are rejected.
  void abort();

  paxos::LogIndex index() const { return index_; }
  std::uint64_t received_bytes() const { return received_; }
  std::uint64_t total_bytes() const { return total_; }

 private:
  friend class SnapshotStore;
  SnapshotReceiver(SnapshotStore& store, paxos::LogIndex index, std::uint64_t total_bytes,
                   std::string tmp_path, int fd);
  Result<SnapshotInfo> reject(std::string why);

  SnapshotStore& store_;
  const paxos::LogIndex index_;
  const std::uint64_t total_;
  const std::string tmp_path_;
  int fd_;
  std::uint64_t received_ = 0;
  std::string header_;  // the first bytes, until the header is complete
  std::uint32_t payload_crc_ = 0;
};

}  // namespace paxoskv::storage
