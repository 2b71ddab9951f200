#include "disk_storage.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "paxos/assert.h"
#include "wal_format.h"

namespace paxoskv::storage {

using paxos::Ballot;
using paxos::Entry;
using paxos::LogIndex;

Result<std::unique_ptr<DiskStorage>> DiskStorage::open(const std::string& dir,
                                                       const DiskStorageOptions& options) {
  PAXOS_ASSERT(options.segment_bytes_max > 0, "segment_bytes_max must be positive");
  if (Status s = ensure_directory(dir)) return *s;
  // Lock before looking at anything else, so that two servers never recover (and cut) the same
  // WAL at once.
  auto lock = DirLock::acquire(dir);
  if (!lock) return lock.error();
  const std::string wal_dir = dir + "/wal";
  if (Status s = ensure_directory(wal_dir)) return *s;

  RecoveredState state;
  RecoveryReport report;
  if (Status s = recover_wal(wal_dir, options.repair, state, report)) return *s;
  const std::uint64_t next_batch = state.tail.next_batch;
  auto writer = WalWriter::open(state.tail, options.segment_bytes_max);
  if (!writer) return writer.error();
  PAXOS_ASSERT(writer.value()->next_batch() == next_batch, "writer and state disagree");
  spdlog::info("opened {}: {} entries, decided {}, {} batches in {} segments{}{}", dir,
               state.log.size(), state.decided_idx.value(), report.batches, report.segments,
               report.fresh ? " (new data directory)" : "",
               report.repaired ? " (REPAIRED: data was cut, see above)" : "");
  return std::unique_ptr<DiskStorage>(new DiskStorage(dir, std::move(lock.value()),
                                                      std::move(state), std::move(report),
                                                      std::move(writer.value())));
}

DiskStorage::DiskStorage(std::string dir, std::unique_ptr<DirLock> lock, RecoveredState state,
                         RecoveryReport report, std::unique_ptr<WalWriter> writer)
    : dir_(std::move(dir)),
      lock_(std::move(lock)),
      report_(std::move(report)),
      log_(std::move(state.log)),
      promise_(state.promise),
      accepted_round_(state.accepted_round),
      decided_idx_(state.decided_idx),
      next_seal_batch_(state.tail.next_batch),
      writer_(std::move(writer)) {}

// Members are destroyed in reverse order: the writer closes its files before the lock is released.
DiskStorage::~DiskStorage() = default;

void DiskStorage::append(std::span<const Entry> entries) {
  std::size_t bytes = 0;
  for (const Entry& e : entries) {
    PAXOS_ASSERT(e.size() <= wal::kPayloadBytesMax - wal::kU64PayloadBytes, "entry too large");
    bytes += wal::kHeaderBytes + wal::kU64PayloadBytes + e.size();
  }
  // At most one growth of the buffer for the whole call, then plain copies. (Never reserve the
  // exact size on log_: std::vector::reserve does not grow geometrically, so doing that on every
  // call makes appending quadratic.)
  if (pending_.capacity() < pending_.size() + bytes) {
    pending_.reserve(std::max(2 * pending_.capacity(), pending_.size() + bytes));
  }
  for (const Entry& e : entries) {
    wal::encode_append(pending_, LogIndex(log_.size()), e);
    log_.push_back(e);
  }
}

void DiskStorage::truncate(LogIndex from) {
  // A truncate past the end changes nothing, so it is not logged (MemoryStorage semantics).
  if (from.value() >= log_.size()) return;
  wal::encode_truncate(pending_, from);
  log_.resize(from.value());
}

void DiskStorage::read(LogIndex from, LogIndex to, std::vector<Entry>& out) const {
  PAXOS_ASSERT(from <= to && to.value() <= log_.size(), "read outside the log");
  out.insert(out.end(), log_.begin() + static_cast<std::ptrdiff_t>(from.value()),
             log_.begin() + static_cast<std::ptrdiff_t>(to.value()));
}

void DiskStorage::set_promise(const Ballot& ballot) {
  promise_ = ballot;
  promise_dirty_ = true;
}

void DiskStorage::set_accepted_round(const Ballot& ballot) {
  accepted_round_ = ballot;
  accepted_round_dirty_ = true;
}

void DiskStorage::set_decided_idx(LogIndex index) {
  decided_idx_ = index;
  decided_dirty_ = true;
}

bool DiskStorage::has_unsealed_writes() const {
  return !pending_.empty() || promise_dirty_ || accepted_round_dirty_ || decided_dirty_;
}

std::string DiskStorage::seal_batch() {
  if (!has_unsealed_writes()) return {};
  // Metadata are independent of the log records and the batch is atomic, so writing only their
  // final values, after the log records, gives the same state after replay.
  if (promise_dirty_) wal::encode_ballot(pending_, wal::RecordType::kPromise, promise_);
  if (accepted_round_dirty_) {
    wal::encode_ballot(pending_, wal::RecordType::kAcceptedRound, accepted_round_);
  }
  if (decided_dirty_) wal::encode_decided(pending_, decided_idx_);
  promise_dirty_ = accepted_round_dirty_ = decided_dirty_ = false;
  wal::encode_commit(pending_, next_seal_batch_++);

  std::string sealed = std::move(pending_);
  pending_ = std::string();
  pending_.reserve(sealed.size());  // the next batch is likely about as large
  return sealed;
}

void DiskStorage::sync() {
  writer_->append_and_sync(seal_batch());
}

}  // namespace paxoskv::storage
