#include "wal_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <thread>

#include "fatal.h"
#include "paxos/assert.h"
#include "wal_format.h"

namespace paxoskv::storage {

std::size_t FsyncStats::bucket_of(std::uint64_t us) {
  if (us < 4) return static_cast<std::size_t>(us);
  const auto octave = static_cast<std::size_t>(std::bit_width(us) - 1);  // >= 2
  const auto sub = static_cast<std::size_t>((us >> (octave - 2)) & 3u);  // next two bits
  return std::min(kBuckets - 1, 4 * (octave - 1) + sub);
}

std::uint64_t FsyncStats::bucket_upper_us(std::size_t bucket) {
  if (bucket < 4) return bucket + 1;
  const std::size_t octave = bucket / 4 + 1;
  const std::uint64_t sub = bucket % 4;
  return (5 + sub) << (octave - 2);
}

std::uint64_t FsyncStats::percentile_us(double q) const {
  if (count == 0) return 0;
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets[i];
    if (seen >= rank) return std::min(bucket_upper_us(i), max_us);
  }
  return max_us;  // buckets were read a moment after count (relaxed snapshot)
}

Result<std::unique_ptr<WalWriter>> WalWriter::open(WalTail tail, const Options& options) {
  PAXOS_ASSERT(tail.next_batch >= 1, "batch numbers start at 1");
  const int dir_fd = ::open(tail.wal_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    return StorageError{StorageError::Kind::kIo,
                        errno_message("cannot open WAL directory " + tail.wal_dir, errno)};
  }
  int segment_fd = -1;
  std::uint64_t segment_file_bytes = 0;
  if (tail.last_segment_first_batch) {
    PAXOS_ASSERT(*tail.last_segment_first_batch < tail.next_batch, "last segment holds no batch");
    const std::string path =
        tail.wal_dir + "/" + wal::segment_file_name(*tail.last_segment_first_batch);
    segment_fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (segment_fd < 0) {
      const int err = errno;
      ::close(dir_fd);
      return StorageError{StorageError::Kind::kIo,
                          errno_message("cannot open WAL segment " + path + " for writing", err)};
    }
    struct stat st {};
    if (::fstat(segment_fd, &st) != 0) {
      const int err = errno;
      ::close(segment_fd);
      ::close(dir_fd);
      return StorageError{StorageError::Kind::kIo, errno_message("cannot stat " + path, err)};
    }
    // Recovery kept a zero tail (unused space) past the last batch: write over it.
    segment_file_bytes = static_cast<std::uint64_t>(st.st_size);
  }
  return std::unique_ptr<WalWriter>(
      new WalWriter(std::move(tail), options, dir_fd, segment_fd, segment_file_bytes));
}

WalWriter::WalWriter(WalTail tail, const Options& options, int dir_fd, int segment_fd,
                     std::uint64_t segment_file_bytes)
    : wal_dir_(std::move(tail.wal_dir)),
      fsync_batches_(options.fsync_batches),
      next_batch_(tail.next_batch),
      dir_fd_(dir_fd),
      segment_fd_(segment_fd),
      zero_ahead_bytes_(options.fsync_batches ? options.zero_ahead_bytes : 0),
      segment_bytes_max_(options.segment_bytes_max) {
  if (segment_fd_ >= 0) {
    segment_first_batch_ = *tail.last_segment_first_batch;
    segment_bytes_ = tail.last_segment_bytes;
    segment_file_bytes_ = std::max(segment_file_bytes, segment_bytes_);
  }
}

WalWriter::~WalWriter() {
  // Everything written was already synced by append_and_sync; closing loses nothing.
  if (segment_fd_ >= 0) ::close(segment_fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

std::string WalWriter::current_segment_path() const {
  if (segment_fd_ < 0) return {};
  return wal_dir_ + "/" + wal::segment_file_name(segment_first_batch_);
}

void WalWriter::append_and_sync(const SealedBatch& batch_to_write) {
  PAXOS_ASSERT(!batch_to_write.empty() || batch_to_write.obsolete_segments.empty(),
               "append_and_sync: an empty batch cannot make segments obsolete");
  const std::string_view sealed_batch = batch_to_write.bytes;
  if (sealed_batch.empty()) return;
  // The trailing Commit tells which batch this is: a cheap check (one 17-byte CRC) that the I/O
  // thread writes batches exactly once and in seal order, which recovery's batch numbering needs.
  const std::optional<std::uint64_t> batch = wal::trailing_commit_batch(sealed_batch);
  PAXOS_ASSERT(batch.has_value(), "append_and_sync: not a sealed batch");
  PAXOS_ASSERT(*batch == next_batch_, "append_and_sync: batches out of seal order");

  PAXOS_ASSERT(segment_fd_ >= 0 || batch_to_write.starts_segment,
               "append_and_sync: no segment to append to");
  if (batch_to_write.starts_segment) {
    PAXOS_ASSERT(wal::starts_with_checkpoint(sealed_batch),
                 "append_and_sync: a segment must begin with a checkpoint");
    if (segment_fd_ >= 0) ::close(segment_fd_);  // already durable up to its last batch
    segment_fd_ = -1;
    create_segment(next_batch_);
    segment_bytes_ = 0;
    segment_file_bytes_ = 0;
  }
  write_all(sealed_batch);
  // Extending the zero tail in the same fdatasync as a batch: one slower sync per zero_ahead
  // bytes of log, and every sync in between writes only data.
  extend_with_zeros(segment_bytes_ + sealed_batch.size());
  if (fsync_batches_) timed_sync(segment_fd_, /*data_only=*/true, "fdatasync");
  segment_bytes_ += sealed_batch.size();
  bytes_written_.fetch_add(sealed_batch.size(), std::memory_order_relaxed);
  ++next_batch_;
  // Only now: the log start that makes these segments obsolete, and the checkpoint that begins
  // the segment recovery will start from, are durable.
  for (const std::uint64_t first_batch : batch_to_write.obsolete_segments) {
    delete_segment(first_batch);
  }
}

void WalWriter::create_segment(std::uint64_t first_batch) {
  const std::string path = wal_dir_ + "/" + wal::segment_file_name(first_batch);
  segment_fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_CREAT | O_EXCL, 0644);
  if (segment_fd_ < 0) fatal(errno_message("cannot create WAL segment " + path, errno));
  segment_first_batch_ = first_batch;
  // The new name must be durable before any batch in it is reported durable; fdatasync of the
  // file alone does not persist its directory entry.
  timed_sync(dir_fd_, /*data_only=*/false, "fsync of the WAL directory");
}

void WalWriter::delete_segment(std::uint64_t first_batch) {
  PAXOS_ASSERT(first_batch < segment_first_batch_, "deleting the segment being written");
  const std::string path = wal_dir_ + "/" + wal::segment_file_name(first_batch);
  // ENOENT: already gone (someone removed it by hand); the state wanted is reached either way.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    fatal(errno_message("cannot delete obsolete WAL segment " + path, errno));
  }
  // One directory fsync per unlink: without it a power loss could keep a newer unlink and undo an
  // older one, leaving a gap that recovery reports as a missing segment.
  timed_sync(dir_fd_, /*data_only=*/false, "fsync of the WAL directory");
  segments_deleted_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t WalWriter::zero_tail_target(std::uint64_t data_end, std::uint64_t file_bytes) const {
  const std::uint64_t target =
      std::min(data_end + zero_ahead_bytes_, std::max(data_end, segment_bytes_max_));
  // Extend in large steps (when less than half the lead is left), not a little per batch.
  if (zero_ahead_bytes_ == 0 || file_bytes >= target ||
      file_bytes >= data_end + zero_ahead_bytes_ / 2) {
    return file_bytes;
  }
  return target;
}

bool WalWriter::append_extends_zero_tail(std::uint64_t batch_bytes) const {
  const std::uint64_t data_end = segment_bytes_ + batch_bytes;
  const std::uint64_t file_bytes = std::max(segment_file_bytes_, data_end);
  return zero_tail_target(data_end, file_bytes) > file_bytes;
}

void WalWriter::extend_with_zeros(std::uint64_t data_end) {
  segment_file_bytes_ = std::max(segment_file_bytes_, data_end);
  const std::uint64_t target = zero_tail_target(data_end, segment_file_bytes_);
  if (target <= segment_file_bytes_) return;
  // Real zeros, not fallocate: unwritten extents would still change metadata when first written.
  static const std::string kZeros(64 << 10, '\0');
  while (segment_file_bytes_ < target) {
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>(kZeros.size(), target - segment_file_bytes_));
    const ssize_t written =
        ::pwrite(segment_fd_, kZeros.data(), n, static_cast<off_t>(segment_file_bytes_));
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      fatal(errno_message("extending " + current_segment_path() + " with zeros failed", errno));
    }
    segment_file_bytes_ += static_cast<std::uint64_t>(written);
  }
}

void WalWriter::write_all(std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    // pwrite at our own offset: no O_APPEND, so the position after a short write is explicit.
    const ssize_t n = ::pwrite(segment_fd_, bytes.data() + done, bytes.size() - done,
                               static_cast<off_t>(segment_bytes_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fatal(errno_message("write to " + current_segment_path() + " failed", errno));
    done += static_cast<std::size_t>(n);
  }
}

void WalWriter::timed_sync(int fd, bool data_only, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  int rc = 0;
  if (data_only && injected_delay_ms_.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(injected_delay_ms_.load()));
  }
  if (data_only && injected_failure_.exchange(false)) {
    rc = -1;
    errno = EIO;
    what = "fdatasync (injected failure)";
  } else {
    rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  }
  if (rc != 0) {
    // No retry, ever: see the header.
    fatal(errno_message(std::string(what) + " of " + current_segment_path() + " failed", errno));
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  record_sync_us(static_cast<std::uint64_t>(us.count()));
}

void WalWriter::record_sync_us(std::uint64_t us) {
  sync_buckets_[FsyncStats::bucket_of(us)].fetch_add(1, std::memory_order_relaxed);
  sync_last_us_.store(us, std::memory_order_relaxed);
  sync_total_us_.fetch_add(us, std::memory_order_relaxed);
  if (us > sync_max_us_.load(std::memory_order_relaxed)) {
    sync_max_us_.store(us, std::memory_order_relaxed);  // single writer: no CAS loop needed
  }
  sync_count_.fetch_add(1, std::memory_order_relaxed);
}

FsyncStats WalWriter::fsync_stats() const {
  FsyncStats s;
  s.count = sync_count_.load(std::memory_order_relaxed);
  s.last_us = sync_last_us_.load(std::memory_order_relaxed);
  s.max_us = sync_max_us_.load(std::memory_order_relaxed);
  s.total_us = sync_total_us_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < FsyncStats::kBuckets; ++i) {
    s.buckets[i] = sync_buckets_[i].load(std::memory_order_relaxed);
  }
  return s;
}

}  // namespace paxoskv::storage
