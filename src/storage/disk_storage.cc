#include "disk_storage.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "paxos/assert.h"

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
  WalWriter::Options writer_options;
  writer_options.fsync_batches = options.fsync;
  writer_options.zero_ahead_bytes = options.zero_ahead_bytes;
  writer_options.segment_bytes_max = options.segment_bytes_max;
  auto writer = WalWriter::open(state.tail, writer_options);
  if (!writer) return writer.error();
  PAXOS_ASSERT(writer.value()->next_batch() == next_batch, "writer and state disagree");
  spdlog::info("opened {}: log [{}, {}), decided {}, {} batches in {} segments{}{}", dir,
               state.log_start.value(), state.log_start.value() + state.log.size(),
               state.decided_idx.value(), report.batches, report.segments,
               report.fresh ? " (new data directory)" : "",
               report.repaired ? " (REPAIRED: data was cut, see above)" : "");
  return std::unique_ptr<DiskStorage>(new DiskStorage(dir, options, std::move(lock.value()),
                                                      std::move(state), std::move(report),
                                                      std::move(writer.value())));
}

DiskStorage::DiskStorage(std::string dir, const DiskStorageOptions& options,
                         std::unique_ptr<DirLock> lock, RecoveredState state, RecoveryReport report,
                         std::unique_ptr<WalWriter> writer)
    : dir_(std::move(dir)),
      lock_(std::move(lock)),
      report_(std::move(report)),
      log_(std::move(state.log)),
      compacted_(state.log_start),
      promise_(state.promise),
      accepted_round_(state.accepted_round),
      decided_idx_(state.decided_idx),
      next_seal_batch_(state.tail.next_batch),
      segment_bytes_max_(options.segment_bytes_max),
      segments_(state.segments.begin(), state.segments.end()),
      writer_(std::move(writer)) {
  for (const SegmentSummary& s : segments_) wal_bytes_ += s.bytes;
  sealed_ = checkpoint();
}

// Members are destroyed in reverse order: the writer closes its files before the lock is released.
DiskStorage::~DiskStorage() = default;

void DiskStorage::append(std::span<const Entry> entries) {
  if (entries.empty()) return;
  std::size_t bytes = 0;
  for (const Entry& e : entries) {
    PAXOS_ASSERT(e.size() <= wal::kPayloadBytesMax - wal::kU64PayloadBytes, "entry too large");
    bytes += wal::kHeaderBytes + wal::kU64PayloadBytes + e.size();
  }
  // At most one growth of the buffer for the whole call, then plain copies.
  if (pending_.capacity() < pending_.size() + bytes) {
    pending_.reserve(std::max(2 * pending_.capacity(), pending_.size() + bytes));
  }
  for (const Entry& e : entries) {
    wal::encode_append(pending_, log_end(), e);
    log_.push_back(e);
  }
  pending_append_end_ = std::max(pending_append_end_, log_end());
}

void DiskStorage::truncate(LogIndex from) {
  PAXOS_ASSERT(from >= compacted_, "truncate into the trimmed prefix");
  // A truncate past the end changes nothing, so it is not logged (MemoryStorage semantics).
  if (from >= log_end()) return;
  wal::encode_truncate(pending_, from);
  log_.resize(from - compacted_);
}

void DiskStorage::read(LogIndex from, LogIndex to, std::vector<Entry>& out) const {
  PAXOS_ASSERT(compacted_ <= from && from <= to && to <= log_end(), "read outside the log");
  out.insert(out.end(), log_.begin() + static_cast<std::ptrdiff_t>(from - compacted_),
             log_.begin() + static_cast<std::ptrdiff_t>(to - compacted_));
}

void DiskStorage::trim(LogIndex index) {
  PAXOS_ASSERT(index <= decided_idx_ && index <= log_end(), "trim of undecided entries");
  if (index <= compacted_) return;
  wal::encode_log_start(pending_, index);
  // Erasing at the front of a deque frees its blocks: memory follows the untrimmed log.
  log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(index - compacted_));
  compacted_ = index;
}

void DiskStorage::reset_to_snapshot(LogIndex index) {
  // Truncate(index) empties the log at `index` when it started above it; LogStart(index) does
  // when it ended below it; in between, the two cut both ends (wal_format.h).
  if (index < log_end()) wal::encode_truncate(pending_, index);
  wal::encode_log_start(pending_, index);
  log_.clear();
  compacted_ = index;
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
  return has_unsealed_writes_beyond_decided_idx() || decided_dirty_;
}

bool DiskStorage::has_unsealed_writes_beyond_decided_idx() const {
  return !pending_.empty() || promise_dirty_ || accepted_round_dirty_;
}

wal::Checkpoint DiskStorage::checkpoint() const {
  return wal::Checkpoint{promise_, accepted_round_, decided_idx_, compacted_, log_end()};
}

SealedBatch DiskStorage::seal_batch() {
  if (!has_unsealed_writes()) return {};
  // Metadata are independent of the log records and the batch is atomic, so writing only their
  // final values, after the log records, gives the same state after replay.
  if (promise_dirty_) wal::encode_ballot(pending_, wal::RecordType::kPromise, promise_);
  if (accepted_round_dirty_) {
    wal::encode_ballot(pending_, wal::RecordType::kAcceptedRound, accepted_round_);
  }
  if (decided_dirty_) wal::encode_decided(pending_, decided_idx_);
  promise_dirty_ = accepted_round_dirty_ = decided_dirty_ = false;
  wal::encode_commit(pending_, next_seal_batch_);

  SealedBatch batch;
  batch.bytes = std::move(pending_);
  pending_ = std::string();
  pending_.reserve(batch.bytes.size());  // the next batch is likely about as large
  place(batch);
  pending_append_end_ = LogIndex();
  sealed_ = checkpoint();
  ++next_seal_batch_;
  return batch;
}

void DiskStorage::place(SealedBatch& batch) {
  const bool full =
      !segments_.empty() && segments_.back().bytes + batch.bytes.size() > segment_bytes_max_;
  if (segments_.empty() || full) {
    // The checkpoint is of the state before this batch: recovery starting here applies the
    // batch's records on top of it. Copying the batch behind it costs once per segment.
    std::string bytes;
    bytes.reserve(wal::kCheckpointRecordBytes + batch.bytes.size());
    wal::encode_checkpoint(bytes, sealed_);
    bytes += batch.bytes;
    batch.bytes = std::move(bytes);
    batch.starts_segment = true;
    segments_.push_back(SegmentSummary{next_seal_batch_, 0, LogIndex()});
  }
  SegmentSummary& current = segments_.back();
  current.bytes += batch.bytes.size();
  current.append_end = std::max(current.append_end, pending_append_end_);
  wal_bytes_ += batch.bytes.size();
  // Never the segment this batch goes to; older ones once every entry they appended is below the
  // log start this batch makes durable (wal_recovery.h explains why that is crash-safe).
  while (segments_.size() > 1 && segments_.front().append_end <= compacted_) {
    batch.obsolete_segments.push_back(segments_.front().first_batch);
    wal_bytes_ -= segments_.front().bytes;
    segments_.pop_front();
  }
}

void DiskStorage::sync() {
  writer_->append_and_sync(seal_batch());
}

}  // namespace paxoskv::storage
