// Power loss, not only process death: after a sync(), the next batch's write is interrupted and
// every WAL file is cut back to its last fsynced size or to any point after it. Every synced
// write must survive, and nothing of the interrupted batch may show unless all of it reached disk.
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
    switch (rng() % 5) {
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
        both.truncate(rng() % (model.log_end().value() + 2));
        break;
      case 3:
        both.promise(testing::ballot(static_cast<std::uint32_t>(rng() % 50), rng() % 5));
        break;
      default:
        both.decided(rng() % (model.log_end().value() + 1));
        break;
    }
  }
}

TEST(PowerLoss, EverySyncedWriteSurvivesCuttingTheFilesAfterTheLastSync) {
  std::mt19937_64 rng(20261122);
  TempDir tmp;
  const DiskStorageOptions opts{.segment_bytes_max = 400, .repair = false};
  MemoryStorage durable;
  int kept_inflight = 0, lost_inflight = 0;
  for (int round = 0; round < 40; ++round) {
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
    // The interrupted batch: written (maybe into a new segment), its fsync never returned.
    MemoryStorage inflight = durable;
    {
      Both both{*s, inflight};
      random_writes(both, inflight, rng);
      s->sync();
    }
    s.reset();
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
  expect_same_state(*open_ok(tmp.data_dir(), opts), durable);
  // The seed exercises both outcomes.
  EXPECT_GT(kept_inflight, 0);
  EXPECT_GT(lost_inflight, 10);
}

}  // namespace
}  // namespace paxoskv::storage
