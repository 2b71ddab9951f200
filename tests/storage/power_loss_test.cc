// Power loss, not only process death: after a sync(), the next batch's write is interrupted and
// every WAL file is cut back to its last fsynced size or to any point after it. Every synced
// write must survive, and nothing of the interrupted batch may show unless all of it reached disk.
// The writes include trims and resets to a snapshot, and with small segments many batches make
// segments obsolete: the power may also fail after a batch's fsync, in the middle of deleting them.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "storage_test_util.h"

namespace paxoskv::storage {
namespace {

using paxos::MemoryStorage;
using testing::Both;
using testing::expect_same_state;
using testing::open_ok;
using testing::TempDir;

void random_writes(Both& both, const MemoryStorage& model, std::mt19937_64& rng) {
  const int calls = 1 + static_cast<int>(rng() % 4);
  for (int c = 0; c < calls; ++c) {
    const std::uint64_t start = model.compacted_idx().value();
    const std::uint64_t end = model.log_end().value();
    switch (rng() % 9) {
      case 0:
      case 1: {
        std::vector<paxos::Entry> entries;
        for (std::uint64_t k = rng() % 4 + 1; k > 0; --k) {
          entries.push_back(testing::make_entry(rng() % 1000, rng() % 80));
        }
        both.append(std::move(entries));
        break;
      }
      case 2:
        both.truncate(start + rng() % (end - start + 2));
        break;
      case 3:
        both.promise(testing::ballot(static_cast<std::uint32_t>(rng() % 50), rng() % 5));
        break;
      case 4:
      case 5:
        both.decided(start + rng() % (end - start + 1));
        break;
      case 6:
      case 7:
        both.trim(rng() % (std::min(model.decided_idx().value(), end) + 1));
        break;
      default:
        if (rng() % 4 == 0) {
          const std::uint64_t index = start + rng() % (end - start + 4);
          both.reset_to_snapshot(index);
          both.decided(index);
        }
        break;
    }
  }
}

TEST(PowerLoss, EverySyncedWriteSurvivesCuttingTheFilesAfterTheLastSync) {
  std::mt19937_64 rng(20261122);
  TempDir tmp;
  const DiskStorageOptions opts{.segment_bytes_max = 250, .repair = false};
  MemoryStorage durable;
  int kept_inflight = 0, lost_inflight = 0, interrupted_deletions = 0;
  for (int round = 0; round < 80; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto s = open_ok(tmp.data_dir(), opts);
    ASSERT_TRUE(s);
    expect_same_state(*s, durable);
    {
      Both both{*s, durable};
      random_writes(both, durable, rng);
      s->sync();
    }
    std::map<std::string, std::uintmax_t> synced_size;
    for (const auto& p : testing::segment_paths(tmp.wal_dir())) {
      synced_size[p] = testing::file_size(p);
    }
    // The interrupted batch: written (maybe into a new segment). Its obsolete segments are
    // deleted only once its fsync has returned.
    MemoryStorage inflight = durable;
    SealedBatch batch;
    {
      Both both{*s, inflight};
      random_writes(both, inflight, rng);
      if (rng() % 2 == 0) {  // often a trim of everything decided: old segments go
        both.decided(inflight.log_end().value());
        both.trim(inflight.log_end().value());
      }
      batch = s->seal_batch();
    }
    std::vector<std::uint64_t> obsolete = std::move(batch.obsolete_segments);
    batch.obsolete_segments.clear();
    s->writer().append_and_sync(batch);
    s.reset();
    if (!obsolete.empty() && rng() % 2 == 0) {
      // The fsync returned; the power failed after deleting only the oldest few.
      obsolete.resize(rng() % obsolete.size());
      for (const std::uint64_t first : obsolete) {
        std::filesystem::remove(tmp.wal_dir() + "/" + wal::segment_file_name(first));
      }
      durable = inflight;
      ++interrupted_deletions;
      continue;
    }
    bool all_reached_disk = true;
    for (const auto& p : testing::segment_paths(tmp.wal_dir())) {
      const std::uintmax_t now = testing::file_size(p);
      const std::uintmax_t floor = synced_size.count(p) ? synced_size[p] : 0;
      if (!synced_size.count(p) && rng() % 4 == 0) {
        std::filesystem::remove(p);  // the directory entry itself was lost
        all_reached_disk = false;
        continue;
      }
      const std::uintmax_t cut = floor + rng() % (now - floor + 1);
      if (cut < now) all_reached_disk = false;
      std::filesystem::resize_file(p, cut);
    }
    if (all_reached_disk) {
      durable = inflight;
      ++kept_inflight;
    } else {
      ++lost_inflight;
    }
  }
  auto s = open_ok(tmp.data_dir(), opts);
  expect_same_state(*s, durable);
  // The seed exercises every outcome, and the log was trimmed and its segments deleted.
  EXPECT_GT(kept_inflight, 0);
  EXPECT_GT(lost_inflight, 10);
  EXPECT_GT(interrupted_deletions, 3);
  EXPECT_GT(s->recovery_report().first_batch, 1u);
}

}  // namespace
}  // namespace paxoskv::storage
