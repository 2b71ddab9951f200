// Quick measurement of the WAL's write path (not a test): `wal_bench [dir] [batches] [entries]
// [entry_bytes] [window_entries] [segment_bytes]`. Appends `batches` batches of `entries` entries
// of `entry_bytes` bytes, one sync() (one pwrite + one fdatasync) per batch, then reports
// throughput and fdatasync latency. With `window_entries` > 0 every batch also trims the log to
// its last `window_entries` entries, and the largest size the WAL directory reached is reported
// (segments of `segment_bytes`, default 64 MiB). Also times the encoding alone (append + seal
// without writing) to show what the CPU costs.
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "storage/disk_storage.h"

using paxoskv::storage::DiskStorage;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  std::string dir;
  if (argc > 1 && argv[1][0] != '\0') {
    dir = argv[1];
  } else {
    char templ[] = "/tmp/paxoskv-wal-bench-XXXXXX";
    if (::mkdtemp(templ) == nullptr) return 1;
    dir = templ;
  }
  const int batches = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int per_batch = argc > 3 ? std::atoi(argv[3]) : 64;
  const int entry_bytes = argc > 4 ? std::atoi(argv[4]) : 256;
  const std::uint64_t window = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 0;
  paxoskv::storage::DiskStorageOptions options;
  if (argc > 6) options.segment_bytes_max = std::strtoull(argv[6], nullptr, 10);
  std::vector<paxoskv::paxos::Entry> entries(
      static_cast<std::size_t>(per_batch), std::string(static_cast<std::size_t>(entry_bytes), 'x'));
  {
    auto opened = DiskStorage::open(dir + "/data", options);
    if (!opened) {
      std::fprintf(stderr, "%s\n", opened.error().message.c_str());
      return 1;
    }
    DiskStorage& s = *opened.value();
    const auto start = Clock::now();
    std::uintmax_t wal_dir_bytes_max = 0;
    for (int b = 0; b < batches; ++b) {
      s.append(entries);
      s.set_decided_idx(s.log_end());
      if (window > 0 && s.log_end().value() > window) {
        s.trim(paxoskv::paxos::LogIndex(s.log_end().value() - window));
      }
      s.sync();
      if (window > 0 && b % 16 == 0) {
        std::uintmax_t bytes = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir + "/data/wal")) {
          bytes += e.file_size();
        }
        wal_dir_bytes_max = std::max(wal_dir_bytes_max, bytes);
      }
    }
    const double secs = seconds_since(start);
    const auto stats = s.writer().fsync_stats();
    const double n = static_cast<double>(batches) * per_batch;
    std::printf(
        "synced: %d batches x %d entries x %d B in %.3f s: %.0f entries/s, %.1f MB/s, "
        "%.0f batches/s\n",
        batches, per_batch, entry_bytes, secs, n / secs,
        static_cast<double>(s.writer().bytes_written()) / secs / 1e6, batches / secs);
    if (window > 0) {
      std::printf(
          "trimmed to %llu entries: WAL directory at most %llu bytes (sampled every 16 "
          "batches), %zu segments now, %llu deleted\n",
          static_cast<unsigned long long>(window),
          static_cast<unsigned long long>(wal_dir_bytes_max), s.wal_segments(),
          static_cast<unsigned long long>(s.writer().segments_deleted()));
    }
    std::printf("fsync: count %llu, mean %llu us, p50 <= %llu us, p99 <= %llu us, max %llu us\n",
                static_cast<unsigned long long>(stats.count),
                static_cast<unsigned long long>(stats.mean_us()),
                static_cast<unsigned long long>(stats.percentile_us(0.5)),
                static_cast<unsigned long long>(stats.percentile_us(0.99)),
                static_cast<unsigned long long>(stats.max_us));

    // Encoding only: what the loop thread pays per batch (the I/O thread pays the fsync).
    const auto enc_start = Clock::now();
    std::size_t sealed_bytes = 0;
    for (int b = 0; b < batches; ++b) {
      s.append(entries);
      sealed_bytes += s.seal_batch().size();  // sealed and dropped: never written
    }
    const double enc_secs = seconds_since(enc_start);
    std::printf("encode only (append + seal, no I/O): %.0f entries/s, %.0f MB/s\n", n / enc_secs,
                static_cast<double>(sealed_bytes) / enc_secs / 1e6);
  }
  if (argc <= 1 || argv[1][0] == '\0') std::filesystem::remove_all(dir);
  return 0;
}
