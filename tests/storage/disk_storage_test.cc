// DiskStorage as a paxos::Storage: it behaves like MemoryStorage, keeps exactly what was synced
// across a reopen, holds its directory lock, rotates segments, and splits sealing from writing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

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

TEST(DiskStorage, NewDirectoryIsEmptyAndCreated) {
  TempDir tmp;
  auto s = open_ok(tmp.data_dir());
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->recovery_report().fresh);
  expect_same_state(*s, MemoryStorage());
  EXPECT_TRUE(std::filesystem::is_directory(tmp.wal_dir()));
}

// Reads see every write at once; sync + reopen gives back exactly what MemoryStorage holds.
TEST(DiskStorage, WriteSyncReopenEqualsMemoryStorage) {
  TempDir tmp;
  MemoryStorage model;
  {
    auto s = open_ok(tmp.data_dir());
    ASSERT_TRUE(s);
    Both both{*s, model};
    both.promise(ballot(1, 7));
    both.append({make_entry(0), make_entry(1), make_entry(2, 0), make_entry(3, 1000)});
    expect_same_state(*s, model);  // before any sync
    s->sync();
    both.accepted(ballot(1, 7, 3));
    both.truncate(2);
    both.truncate(10);  // past the end: no-op
    both.append({make_entry(10), make_entry(11)});
    both.decided(3);
    s->sync();
    both.promise(ballot(2, 9, 1, 4));
    both.decided(4);
    both.append({make_entry(12)});
    s->sync();
    expect_same_state(*s, model);
  }
  auto s = open_ok(tmp.data_dir());
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->recovery_report().fresh);
  EXPECT_EQ(s->recovery_report().batches, 3u);
  expect_same_state(*s, model);
  std::vector<paxos::Entry> some;
  s->read(LogIndex(1), LogIndex(3), some);
  EXPECT_EQ(some, (std::vector<paxos::Entry>{make_entry(1), make_entry(10)}));
}

TEST(DiskStorage, UnsyncedWritesAreLostLikeInACrash) {
  TempDir tmp;
  MemoryStorage synced;
  {
    auto s = open_ok(tmp.data_dir());
    Both both{*s, synced};
    both.append({make_entry(0)});
    both.promise(ballot(3, 1));
    s->sync();
    s->append(std::vector<paxos::Entry>{make_entry(1)});
    s->set_promise(ballot(4, 1));
    s->set_decided_idx(LogIndex(1));
  }  // destroyed without sync
  auto s = open_ok(tmp.data_dir());
  expect_same_state(*s, synced);
}

TEST(DiskStorage, BatchWithoutItsCommitIsInvisibleAfterReopen) {
  TempDir tmp;
  MemoryStorage synced;
  {
    auto s = open_ok(tmp.data_dir());
    Both both{*s, synced};
    both.append({make_entry(0), make_entry(1)});
    s->sync();
    s->append(std::vector<paxos::Entry>{make_entry(2), make_entry(3)});
    s->set_decided_idx(LogIndex(2));
    std::string batch = s->seal_batch().bytes;
    ASSERT_GT(batch.size(), wal::kCommitRecordBytes);
    batch.resize(batch.size() - wal::kCommitRecordBytes);  // every record but the Commit
    testing::append_bytes(s->writer().current_segment_path(), batch);
  }
  auto s = open_ok(tmp.data_dir());
  expect_same_state(*s, synced);
  EXPECT_GT(s->recovery_report().torn_bytes_cut, 0u);
  // And the WAL continues cleanly after the cut.
  Both both{*s, synced};
  both.append({make_entry(5)});
  s->sync();
  s.reset();
  s = open_ok(tmp.data_dir());
  expect_same_state(*s, synced);
}

TEST(DiskStorage, SecondOpenOfALockedDirectoryFailsWithTheHoldersPid) {
  TempDir tmp;
  auto first = open_ok(tmp.data_dir());
  ASSERT_TRUE(first);
  auto second = DiskStorage::open(tmp.data_dir(), {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, StorageError::Kind::kInUse);
  EXPECT_EQ(second.error().message, "data directory " + tmp.data_dir() +
                                        " is in use by another process (pid " +
                                        std::to_string(::getpid()) + ")");
  first.reset();  // releases the lock
  EXPECT_TRUE(open_ok(tmp.data_dir()));
}

TEST(DiskStorage, OpenOfAnUnusablePathIsAnIoError) {
  TempDir tmp;
  testing::write_bytes(tmp.path() + "/file", "x");
  auto r = DiskStorage::open(tmp.path() + "/file", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StorageError::Kind::kIo);
  auto r2 = DiskStorage::open(tmp.path() + "/missing/parent", {});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, StorageError::Kind::kIo);
}

TEST(DiskStorage, TinySegmentsRotateAndReplayInOrder) {
  TempDir tmp;
  DiskStorageOptions opts;
  opts.segment_bytes_max = 300;
  MemoryStorage model;
  {
    auto s = open_ok(tmp.data_dir(), opts);
    Both both{*s, model};
    for (std::uint64_t i = 0; i < 40; ++i) {
      both.append({make_entry(i, 10 + i * 7 % 50)});
      if (i % 5 == 4) both.truncate(i - 1);
      both.decided(i / 2);
      s->sync();
    }
  }
  const auto segments = testing::segment_paths(tmp.wal_dir());
  EXPECT_GT(segments.size(), 5u);
  std::uint64_t expected_first = 1;
  for (const auto& path : segments) {
    // Named by their first batch; each batch is small, so every segment stays under the limit.
    EXPECT_EQ(*wal::parse_segment_file_name(std::filesystem::path(path).filename().string()),
              expected_first);
    EXPECT_LE(testing::file_size(path), opts.segment_bytes_max);
    for (const auto& r : testing::record_spans(testing::read_bytes(path))) {
      if (r.type == wal::RecordType::kCommit) ++expected_first;
    }
  }
  auto s = open_ok(tmp.data_dir(), opts);
  expect_same_state(*s, model);
  EXPECT_EQ(s->recovery_report().segments, segments.size());
}

TEST(DiskStorage, BatchLargerThanASegmentGetsOneOfItsOwn) {
  TempDir tmp;
  DiskStorageOptions opts;
  opts.segment_bytes_max = 100;
  MemoryStorage model;
  {
    auto s = open_ok(tmp.data_dir(), opts);
    Both both{*s, model};
    both.append({make_entry(0, 500)});
    s->sync();
    both.append({make_entry(1, 500)});
    s->sync();
  }
  EXPECT_EQ(testing::segment_paths(tmp.wal_dir()).size(), 2u);
  expect_same_state(*open_ok(tmp.data_dir(), opts), model);
}

TEST(DiskStorage, NothingWrittenMeansNoBatchAndNoFsync) {
  TempDir tmp;
  auto s = open_ok(tmp.data_dir());
  EXPECT_FALSE(s->has_unsealed_writes());
  EXPECT_TRUE(s->seal_batch().empty());
  s->sync();
  EXPECT_EQ(s->writer().fsync_stats().count, 0u);
  s->truncate(LogIndex(5));  // no-op on an empty log: nothing to persist
  EXPECT_FALSE(s->has_unsealed_writes());
  s->set_decided_idx(LogIndex(0));
  EXPECT_TRUE(s->has_unsealed_writes());
  s->sync();
  // One fdatasync, plus the directory fsync for the first segment's creation.
  const FsyncStats stats = s->writer().fsync_stats();
  EXPECT_EQ(stats.count, 2u);
  EXPECT_GE(stats.max_us, stats.last_us);
  EXPECT_GE(stats.percentile_us(0.99), stats.percentile_us(0.5));
  EXPECT_LE(stats.percentile_us(0.99), stats.max_us);
}

// A driver lets a new decided index wait for the next batch it writes anyway (no message vouches
// for it); everything else counts.
TEST(DiskStorage, ADecidedIndexAloneIsTheOnlyWriteThatCanWait) {
  TempDir tmp;
  auto s = open_ok(tmp.data_dir());
  const std::vector<paxos::Entry> first{make_entry(0), make_entry(1)};
  s->append(first);
  EXPECT_TRUE(s->has_unsealed_writes_beyond_decided_idx());
  s->sync();
  s->set_decided_idx(LogIndex(1));
  EXPECT_TRUE(s->has_unsealed_writes());
  EXPECT_FALSE(s->has_unsealed_writes_beyond_decided_idx());
  s->set_promise(ballot(2, 1));
  EXPECT_TRUE(s->has_unsealed_writes_beyond_decided_idx());
  s->sync();
  s->set_accepted_round(ballot(2, 1));
  EXPECT_TRUE(s->has_unsealed_writes_beyond_decided_idx());
  s->sync();
  s->trim(LogIndex(1));
  EXPECT_TRUE(s->has_unsealed_writes_beyond_decided_idx());
  s->sync();
  EXPECT_FALSE(s->has_unsealed_writes());
  // The waiting decided index is written with the next batch and survives a restart.
  s->set_decided_idx(LogIndex(2));
  const std::vector<paxos::Entry> second{make_entry(2)};
  s->append(second);
  s->sync();
  s.reset();
  s = open_ok(tmp.data_dir());
  EXPECT_EQ(s->decided_idx(), LogIndex(2));
  EXPECT_EQ(s->log_end(), LogIndex(3));
}

TEST(DiskStorage, MetadataAreWrittenOncePerBatchWithTheirLastValue) {
  TempDir tmp;
  auto s = open_ok(tmp.data_dir());
  for (std::uint32_t n = 1; n <= 100; ++n) {
    s->set_promise(ballot(n, 1));
    s->set_decided_idx(LogIndex(n));
  }
  const SealedBatch batch = s->seal_batch();
  // The first batch also begins the first segment, with a checkpoint of the empty state.
  EXPECT_TRUE(batch.starts_segment);
  EXPECT_EQ(batch.size(),
            wal::kCheckpointRecordBytes + wal::kHeaderBytes * 3 + wal::kBallotPayloadBytes + 8 + 8);
  s->writer().append_and_sync(batch);
  s.reset();
  s = open_ok(tmp.data_dir());
  EXPECT_EQ(s->promise(), ballot(100, 1));
  EXPECT_EQ(s->decided_idx(), LogIndex(100));
}

// fsync = false (for measuring what durability costs): no fdatasync per batch, the same bytes.
TEST(DiskStorage, WithFsyncOffBatchesAreWrittenButNotSynced) {
  TempDir tmp;
  MemoryStorage model;
  DiskStorageOptions opts;
  opts.fsync = false;
  {
    auto s = open_ok(tmp.data_dir(), opts);
    Both both{*s, model};
    for (std::uint64_t i = 0; i < 5; ++i) {
      both.append({make_entry(i)});
      s->sync();
    }
    EXPECT_EQ(s->writer().fsync_stats().count, 1u) << "only the new segment's directory fsync";
  }
  expect_same_state(*open_ok(tmp.data_dir()), model);
}

TEST(FsyncStats, LogLinearBucketsBoundTheErrorTo25Percent) {
  for (std::uint64_t us :
       {0ull, 1ull, 3ull, 4ull, 5ull, 7ull, 8ull, 100ull, 173ull, 999ull, 123456ull, 1ull << 31}) {
    const std::size_t b = FsyncStats::bucket_of(us);
    EXPECT_LT(us, FsyncStats::bucket_upper_us(b)) << us;
    EXPECT_LE(FsyncStats::bucket_upper_us(b), us + us / 4 + 1) << us;
    if (b > 0) {
      EXPECT_GE(us, FsyncStats::bucket_upper_us(b - 1)) << us;
    }
  }
  FsyncStats s;
  for (std::uint64_t us = 1; us <= 100; ++us) {
    ++s.buckets[FsyncStats::bucket_of(us)];
    ++s.count;
  }
  s.max_us = 100;
  EXPECT_GE(s.percentile_us(0.5), 50u);
  EXPECT_LE(s.percentile_us(0.5), 63u);
  EXPECT_GE(s.percentile_us(0.99), 99u);
  EXPECT_LE(s.percentile_us(0.99), 100u);
}

// The server's shape: the loop thread seals, an I/O thread writes, in seal order.
TEST(DiskStorage, SealOnTheLoopThreadWriteOnAnIoThread) {
  TempDir tmp;
  MemoryStorage model;
  {
    auto s = open_ok(tmp.data_dir());
    Both both{*s, model};
    std::vector<SealedBatch> sealed;
    for (std::uint64_t i = 0; i < 20; ++i) {
      both.append({make_entry(i)});
      both.decided(i);
      sealed.push_back(s->seal_batch());  // the loop keeps going; nothing is durable yet
    }
    std::thread io([&] {
      for (const SealedBatch& batch : sealed) s->writer().append_and_sync(batch);
    });
    io.join();  // the completion the loop would wait for
    EXPECT_EQ(s->writer().next_batch(), 21u);
  }
  expect_same_state(*open_ok(tmp.data_dir()), model);
}

TEST(DiskStorageDeathTest, WritingABatchTwiceIsABug) {
  TempDir tmp;
  auto s = open_ok(tmp.data_dir());
  s->set_decided_idx(LogIndex(1));
  const SealedBatch batch = s->seal_batch();
  s->writer().append_and_sync(batch);
  EXPECT_DEATH(s->writer().append_and_sync(batch), "out of seal order");
}

}  // namespace
}  // namespace paxoskv::storage
