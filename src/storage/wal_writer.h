// Appends sealed batches to the WAL's segment files and makes them durable.
//
// Threading contract: a WalWriter is used by ONE thread at a time (the server's I/O thread, or
// the loop thread itself through DiskStorage::sync()); it shares nothing with the in-memory state
// of DiskStorage. Batches must be passed in the order DiskStorage::seal_batch() produced them,
// each exactly once; the writer checks the batch number of every batch's Commit record and
// asserts on a gap or reordering. Only fsync_stats() may be called from any thread.
//
// Segments: the writer does not decide when a segment ends or which may go; the loop thread does
// (SealedBatch carries both decisions, see sealed_batch.h). After a batch's fdatasync the writer
// deletes the segments the batch made obsolete, oldest first, each unlink followed by an fsync of
// the directory, so that a crash (even a power loss that reorders directory updates) leaves the
// remaining segments a contiguous run, which recovery needs.
//
// Failure: a failed write or fdatasync (EIO, ENOSPC, ...) ends the process through fatal(). Never
// retry a failed fsync: the kernel may have dropped the dirty pages and cleared the error.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"
#include "sealed_batch.h"

namespace paxoskv::storage {

// Latency of the writer's fdatasync calls (one per batch; a segment rotation adds a directory
// fsync, which is counted too). Percentiles come from a log-linear histogram of microseconds
// (four buckets per power of two, like a tiny HdrHistogram): the reported value is the upper
// bound of the bucket holding the percentile, at most 25% above the true value.
struct FsyncStats {
  // Buckets 0-3 hold 0-3 us exactly; then four per octave up to 2^32 us; the last is open-ended.
  static constexpr std::size_t kBuckets = 128;
  static std::size_t bucket_of(std::uint64_t us);
  static std::uint64_t bucket_upper_us(std::size_t bucket);  // exclusive

  std::uint64_t count = 0;
  std::uint64_t last_us = 0;
  std::uint64_t max_us = 0;
  std::uint64_t total_us = 0;
  std::array<std::uint64_t, kBuckets> buckets{};

  // Upper bound of the bucket holding quantile q in [0, 1]; 0 when there were no syncs.
  std::uint64_t percentile_us(double q) const;
  std::uint64_t mean_us() const { return count == 0 ? 0 : total_us / count; }
};

// Where the writer continues after recovery.
struct WalTail {
  std::string wal_dir;
  std::uint64_t next_batch = 1;  // the number the next batch's Commit record must carry
  // The last segment, to append to; nullopt when the WAL holds no segment yet.
  std::optional<std::uint64_t> last_segment_first_batch;
  std::uint64_t last_segment_bytes = 0;
};

class WalWriter {
 public:
  struct Options {
    // false skips the fdatasync of each batch (DiskStorageOptions::fsync: only for measuring what
    // durability costs).
    bool fsync_batches = true;
    // The segment file is kept extended with zeros this far beyond the last batch (0 = off), but
    // never beyond `segment_bytes_max`, so that a batch's fdatasync finds the file's size and
    // blocks already on disk and writes only the data (on ext4 a size change costs a second,
    // synchronous write of the inode). Recovery reads a zero tail as unused space. Only with
    // `fsync_batches`.
    std::uint64_t zero_ahead_bytes = 0;
    std::uint64_t segment_bytes_max = UINT64_MAX;
  };
  // Opens the WAL directory and the last segment for appending (errors as values: this runs
  // inside DiskStorage::open).
  static Result<std::unique_ptr<WalWriter>> open(WalTail tail, const Options& options);
  ~WalWriter();
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Writes one sealed batch with a single pwrite (into a new segment if the batch starts one) and
  // makes it durable with one fdatasync; when it returns, the batch survives a power loss. Then
  // deletes the segments the batch made obsolete. An empty batch (nothing was written) is a no-op.
  void append_and_sync(const SealedBatch& batch);

  // Whether appending a batch of `batch_bytes` now would also extend the zero tail (a larger,
  // slower write and sync). Same thread rule as append_and_sync.
  bool append_extends_zero_tail(std::uint64_t batch_bytes) const;

  // Safe from any thread.
  FsyncStats fsync_stats() const;

  std::uint64_t next_batch() const { return next_batch_; }
  // Safe from any thread (the server's status reads it while the I/O thread writes).
  std::uint64_t bytes_written() const { return bytes_written_.load(std::memory_order_relaxed); }
  // Segments deleted because they were obsolete. Safe from any thread.
  std::uint64_t segments_deleted() const {
    return segments_deleted_.load(std::memory_order_relaxed);
  }
  // The path of the segment the next batch goes to, if it exists yet (for tests and status).
  std::string current_segment_path() const;

  // Fault injection (the server's --enable-fault-injection control), safe from any thread. Only
  // the fdatasync of a batch is affected: each one first sleeps `delay_ms` (0 = none), and after
  // inject_fsync_failure(true) the next one reports EIO without syncing, which ends the process
  // through fatal() exactly as a failing disk would.
  void inject_fsync_delay_ms(std::uint32_t delay_ms) { injected_delay_ms_.store(delay_ms); }
  std::uint32_t injected_fsync_delay_ms() const { return injected_delay_ms_.load(); }
  void inject_fsync_failure(bool armed) { injected_failure_.store(armed); }
  bool injected_fsync_failure() const { return injected_failure_.load(); }

 private:
  WalWriter(WalTail tail, const Options& options, int dir_fd, int segment_fd,
            std::uint64_t segment_file_bytes);
  void extend_with_zeros(std::uint64_t data_end);
  // The file size the zero tail should have after data up to `data_end`, for a file of
  // `file_bytes` (which it returns when no extension is due).
  std::uint64_t zero_tail_target(std::uint64_t data_end, std::uint64_t file_bytes) const;
  void create_segment(std::uint64_t first_batch);
  void delete_segment(std::uint64_t first_batch);
  void write_all(std::string_view bytes);
  void timed_sync(int fd, bool data_only, const char* what);
  void record_sync_us(std::uint64_t us);

  const std::string wal_dir_;
  const bool fsync_batches_;
  std::uint64_t next_batch_;
  int dir_fd_ = -1;
  int segment_fd_ = -1;
  std::uint64_t segment_first_batch_ = 0;
  std::uint64_t segment_bytes_ = 0;       // batches written to the current segment
  std::uint64_t segment_file_bytes_ = 0;  // its file size: the batches plus the zero tail
  const std::uint64_t zero_ahead_bytes_;
  const std::uint64_t segment_bytes_max_;
  std::atomic<std::uint64_t> bytes_written_{0};
  std::atomic<std::uint64_t> segments_deleted_{0};

  // Written by the writer's thread, read by anyone; relaxed is enough for monitoring numbers.
  std::atomic<std::uint64_t> sync_count_{0};
  std::atomic<std::uint64_t> sync_last_us_{0};
  std::atomic<std::uint64_t> sync_max_us_{0};
  std::atomic<std::uint64_t> sync_total_us_{0};
  std::array<std::atomic<std::uint64_t>, FsyncStats::kBuckets> sync_buckets_{};

  std::atomic<std::uint32_t> injected_delay_ms_{0};
  std::atomic<bool> injected_failure_{false};
};

}  // namespace paxoskv::storage
