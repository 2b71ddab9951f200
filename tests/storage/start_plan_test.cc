// The "a snapshot without its log" and "a half-written metadata file", for this layout:
// <data dir>/wal/ (the log and ALL metadata, as checksummed batches) and <data dir>/snapshots/.
//
// - There is no separate metadata file: promise, accepted round, decided index and log bounds are
//   WAL records inside atomic batches, repeated in the checkpoint that begins every segment. A
//   half-written one is a torn batch, which recovery cuts, keeping the previous values.
// - A snapshot without its log: snapshots/ survived but wal/ did not (refused: the promises are
//   gone), or a snapshot ahead of the log's decided index (a transfer whose install batch was lost
//   in a crash: completed at start). A log without its snapshot (trimmed above the newest
//   snapshot) is refused.
#include "storage/start_plan.h"

#include <gtest/gtest.h>

#include "storage/snapshot_store.h"
#include "storage_test_util.h"

namespace paxoskv::storage {
namespace {

using paxos::LogIndex;
using paxos::MemoryStorage;
using testing::ballot;
using testing::Both;
using testing::expect_same_state;
using testing::make_entry;
using testing::open_ok;
using testing::TempDir;

TEST(StartPlan, NothingTrimmedAndNoSnapshotStartsFromTheEmptyStateMachine) {
  const auto plan = plan_start(std::nullopt, true, LogIndex(0), LogIndex(0));
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan.value().snapshot);
  EXPECT_FALSE(plan.value().reset_log_to_snapshot);
  EXPECT_TRUE(plan_start(std::nullopt, false, LogIndex(0), LogIndex(12)).ok());
}

TEST(StartPlan, TheNewestSnapshotAtOrAboveTheLogStartIsUsed) {
  for (const std::uint64_t start : {0u, 5u, 10u}) {
    const auto plan = plan_start(LogIndex(10), false, LogIndex(start), LogIndex(15));
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan.value().snapshot, LogIndex(10));
    EXPECT_FALSE(plan.value().reset_log_to_snapshot);
  }
}

TEST(StartPlan, ALogTrimmedAboveTheNewestSnapshotIsRefused) {
  const auto plan = plan_start(LogIndex(10), false, LogIndex(11), LogIndex(15));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind, StorageError::Kind::kCorrupt);
  EXPECT_EQ(plan.error().message,
            "the log was trimmed up to index 11 but the newest snapshot is at 10: the entries "
            "[10, 11) are in neither");
  EXPECT_EQ(plan_start(std::nullopt, false, LogIndex(3), LogIndex(5)).error().message,
            "the log was trimmed up to index 3 but there is no snapshot: the entries [0, 3) are "
            "in neither");
}

TEST(StartPlan, ASnapshotWithoutAnyLogIsRefused) {
  const auto plan = plan_start(LogIndex(10), true, LogIndex(0), LogIndex(0));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind, StorageError::Kind::kCorrupt);
  EXPECT_NE(plan.error().message.find("exists but the WAL is empty"), std::string::npos);
}

TEST(StartPlan, ASnapshotAheadOfTheDecidedIndexCompletesItsInstall) {
  const auto plan = plan_start(LogIndex(50), false, LogIndex(0), LogIndex(12));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan.value().snapshot, LogIndex(50));
  EXPECT_TRUE(plan.value().reset_log_to_snapshot);
}

// On disk: the wal/ directory is lost, snapshots/ survives.
TEST(StartPlan, OnDiskAWipedWalBesideSnapshotsIsDetected) {
  TempDir tmp;
  {
    auto s = open_ok(tmp.data_dir());
    auto store = SnapshotStore::open(tmp.data_dir(), {});
    s->set_promise(ballot(4, 2));
    s->append(std::vector<paxos::Entry>{make_entry(0), make_entry(1)});
    s->set_decided_idx(LogIndex(2));
    s->sync();
    store.value()->write(LogIndex(2), "state");
    s->trim(LogIndex(2));
    s->sync();
  }
  std::filesystem::remove_all(tmp.wal_dir());
  auto s = open_ok(tmp.data_dir());
  auto store = SnapshotStore::open(tmp.data_dir(), {});
  ASSERT_TRUE(s && store.ok());
  EXPECT_TRUE(s->recovery_report().fresh);
  const auto plan = plan_start(store.value()->latest()->index, s->recovery_report().fresh,
                               s->compacted_idx(), s->decided_idx());
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("a snapshot at index 2 exists but the WAL is empty"),
            std::string::npos);
}

// On disk: a snapshot received and renamed into place, then a crash before the core's batch that
// resets the log to it reached the disk. The driver completes the install; the reopened storage
// then agrees with the snapshot.
TEST(StartPlan, OnDiskAnInstallInterruptedByACrashIsCompletedAtStart) {
  TempDir tmp;
  MemoryStorage model;
  {
    auto s = open_ok(tmp.data_dir());
    Both both{*s, model};
    both.promise(ballot(6, 3));
    both.accepted(ballot(6, 3));
    both.append({make_entry(0), make_entry(1), make_entry(2)});
    both.decided(1);
    s->sync();
    auto store = SnapshotStore::open(tmp.data_dir(), {});
    store.value()->write(LogIndex(40), "state at 40 from the leader");  // as a receiver would
    s->reset_to_snapshot(LogIndex(40));  // the core's batch, never synced
    s->set_decided_idx(LogIndex(40));
  }
  auto s = open_ok(tmp.data_dir());
  auto store = SnapshotStore::open(tmp.data_dir(), {});
  expect_same_state(*s, model);  // the install batch is lost
  const auto plan = plan_start(store.value()->latest()->index, s->recovery_report().fresh,
                               s->compacted_idx(), s->decided_idx());
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan.value().reset_log_to_snapshot);
  {
    Both both{*s, model};
    both.reset_to_snapshot(40);
    both.decided(40);
    s->sync();
  }
  s.reset();
  s = open_ok(tmp.data_dir());
  expect_same_state(*s, model);
  EXPECT_EQ(s->compacted_idx(), LogIndex(40));
  testing::expect_same_ballot(s->promise(), ballot(6, 3), "the promise is kept");
  EXPECT_FALSE(plan_start(LogIndex(40), false, s->compacted_idx(), s->decided_idx())
                   .value()
                   .reset_log_to_snapshot);
}

// "A half-written metadata file": a batch that changes only metadata, written into a new
// segment (so it begins with a checkpoint, the other place metadata live), cut at every byte.
// Every cut leaves the previous metadata; only the complete batch shows the new values.
TEST(StartPlan, HalfWrittenMetadataIsCutAndThePreviousValuesKept) {
  TempDir tmp;
  const DiskStorageOptions opts{.segment_bytes_max = 120, .repair = false};
  MemoryStorage before;
  {
    auto s = open_ok(tmp.data_dir(), opts);
    Both both{*s, before};
    both.promise(ballot(1, 1));
    both.append({make_entry(0, 40)});
    both.decided(1);
    s->sync();
  }
  MemoryStorage after = before;
  std::string batch_path;
  std::string batch;
  {
    auto s = open_ok(tmp.data_dir(), opts);
    Both both{*s, after};
    both.promise(ballot(9, 2, 1, 3));
    both.accepted(ballot(9, 2, 1, 3));
    both.decided(1);
    SealedBatch sealed = s->seal_batch();
    ASSERT_TRUE(sealed.starts_segment);
    batch_path = tmp.wal_dir() + "/" + wal::segment_file_name(s->writer().next_batch());
    batch = sealed.bytes;
  }
  for (std::size_t cut = 0; cut <= batch.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    testing::write_bytes(batch_path, batch.substr(0, cut));
    auto s = open_ok(tmp.data_dir(), opts);
    ASSERT_TRUE(s);
    expect_same_state(*s, cut == batch.size() ? after : before);
    if (cut < batch.size()) {
      EXPECT_FALSE(std::filesystem::exists(batch_path));
    }
  }
}

}  // namespace
}  // namespace paxoskv::storage
