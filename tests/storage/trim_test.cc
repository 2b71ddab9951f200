// Trimming and resetting to a snapshot on disk: the state after a reopen equals MemoryStorage's,
// whole segments below the log start are deleted so the directory stays bounded under a steady
// load, recovery starts from a later segment's checkpoint, and what is lost is still reported.
#include <gtest/gtest.h>

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
using testing::segment_paths;
using testing::TempDir;

TEST(Trim, TrimThenReopenEqualsMemoryStorage) {
  TempDir tmp;
  MemoryStorage model;
  {
    auto s = open_ok(tmp.data_dir());
    ASSERT_TRUE(s);
    Both both{*s, model};
    both.promise(ballot(2, 1));
    for (std::uint64_t i = 0; i < 10; ++i) both.append({make_entry(i)});
    both.decided(8);
    both.trim(5);
    expect_same_state(*s, model);  // before the sync: reads see it at once
    s->sync();
    both.trim(3);  // below the log start: a no-op, not even a record
    EXPECT_FALSE(s->has_unsealed_writes());
    both.trim(8);
    both.append({make_entry(10)});
    both.truncate(10);
    s->sync();
    EXPECT_EQ(s->compacted_idx(), LogIndex(8));
  }
  auto s = open_ok(tmp.data_dir());
  ASSERT_TRUE(s);
  expect_same_state(*s, model);
  std::vector<paxos::Entry> two;
  s->read(LogIndex(8), LogIndex(10), two);
  EXPECT_EQ(two, (std::vector<paxos::Entry>{make_entry(8), make_entry(9)}));
}

TEST(Trim, TrimToTheLogEndLeavesAnEmptyLogThatGrowsAgain) {
  TempDir tmp;
  MemoryStorage model;
  {
    auto s = open_ok(tmp.data_dir());
    Both both{*s, model};
    both.append({make_entry(0), make_entry(1)});
    both.decided(2);
    both.trim(2);
    s->sync();
    both.append({make_entry(2)});
    s->sync();
  }
  expect_same_state(*open_ok(tmp.data_dir()), model);
}

TEST(Trim, UnsyncedTrimIsLostInACrashAndTheEntriesComeBack) {
  TempDir tmp;
  MemoryStorage synced;
  {
    auto s = open_ok(tmp.data_dir());
    Both both{*s, synced};
    both.append({make_entry(0), make_entry(1), make_entry(2)});
    both.decided(3);
    s->sync();
    s->trim(LogIndex(2));
  }
  auto s = open_ok(tmp.data_dir());
  expect_same_state(*s, synced);
  EXPECT_EQ(s->compacted_idx(), LogIndex(0));
}

// Every case of reset_to_snapshot: past the end (a node far behind), inside the log, below the
// log start (an older snapshot), each followed by the decided index the core then sets.
TEST(Trim, ResetToSnapshotThenReopenEqualsMemoryStorage) {
  for (const std::uint64_t index : {20u, 7u, 5u, 2u}) {
    SCOPED_TRACE("reset to " + std::to_string(index));
    TempDir tmp;
    MemoryStorage model;
    {
      auto s = open_ok(tmp.data_dir());
      Both both{*s, model};
      for (std::uint64_t i = 0; i < 10; ++i) both.append({make_entry(i)});
      both.decided(6);
      both.trim(4);
      both.accepted(ballot(3, 2));
      s->sync();
      both.reset_to_snapshot(index);
      both.decided(index);
      EXPECT_EQ(s->compacted_idx(), LogIndex(index));
      EXPECT_EQ(s->log_end(), LogIndex(index));
      s->sync();
      both.append({make_entry(100), make_entry(101)});
      s->sync();
    }
    auto s = open_ok(tmp.data_dir());
    expect_same_state(*s, model);
    testing::expect_same_ballot(s->accepted_round(), ballot(3, 2), "metadata untouched");
  }
}

// A steady load: append, decide, trim to keep a fixed window. The WAL must stay within the
// window plus two segments (the one being written, and one not yet entirely below the window),
// and the in-memory log within the window.
TEST(Trim, SegmentsAreDeletedAndTheDirectoryStaysBoundedUnderSteadyAppendAndTrim) {
  TempDir tmp;
  const std::uint64_t segment_bytes_max = 4096;
  const std::uint64_t window_entries = 50;
  const std::size_t entry_bytes = 100;
  const std::uint64_t record_bytes = wal::kHeaderBytes + 8 + entry_bytes;
  // Each batch: 4 entries, the Decided record, a LogStart and the Commit; at most a checkpoint.
  const std::uint64_t batch_bytes_max =
      4 * record_bytes + 3 * wal::kCommitRecordBytes + wal::kCheckpointRecordBytes;
  const std::uint64_t bound =
      window_entries * record_bytes + 2 * segment_bytes_max + batch_bytes_max + 64 /* LOCK */;
  MemoryStorage model;
  std::uintmax_t max_seen = 0;
  std::uint64_t total_written = 0;
  {
    auto s = open_ok(tmp.data_dir(), {.segment_bytes_max = segment_bytes_max, .repair = false});
    Both both{*s, model};
    std::uint64_t next = 0;
    for (int batch = 0; batch < 600; ++batch) {
      both.append({make_entry(next, entry_bytes), make_entry(next + 1, entry_bytes),
                   make_entry(next + 2, entry_bytes), make_entry(next + 3, entry_bytes)});
      next += 4;
      both.decided(next);
      if (next > window_entries) both.trim(next - window_entries);
      s->sync();
      max_seen = std::max(max_seen, testing::directory_bytes(tmp.data_dir()));
      ASSERT_LE(s->log_end() - s->compacted_idx(), window_entries);
    }
    total_written = s->writer().bytes_written();
    EXPECT_GT(s->writer().segments_deleted(), 50u);
    EXPECT_EQ(segment_paths(tmp.wal_dir()).size(), s->wal_segments());
    std::printf(
        "[ figures  ] wrote %llu WAL bytes; directory at most %llu bytes (bound %llu); "
        "%llu segments deleted, %zu left\n",
        static_cast<unsigned long long>(total_written), static_cast<unsigned long long>(max_seen),
        static_cast<unsigned long long>(bound),
        static_cast<unsigned long long>(s->writer().segments_deleted()), s->wal_segments());
  }
  EXPECT_LE(max_seen, bound);
  EXPECT_GT(total_written, 10 * bound);  // the bound is not just "nothing was written"

  // Reopen after the deletions: recovery starts from a later segment's checkpoint.
  auto s = open_ok(tmp.data_dir(), {.segment_bytes_max = segment_bytes_max, .repair = false});
  ASSERT_TRUE(s);
  expect_same_state(*s, model);
  EXPECT_GT(s->recovery_report().first_batch, 1u);
  EXPECT_EQ(s->recovery_report().obsolete_deleted, 0u);
}

// Metadata written once, long ago, must survive the deletion of the segment that held it.
TEST(Trim, MetadataOnlyInADeletedSegmentSurvivesThroughTheCheckpoint) {
  TempDir tmp;
  const DiskStorageOptions opts{.segment_bytes_max = 300, .repair = false};
  MemoryStorage model;
  {
    auto s = open_ok(tmp.data_dir(), opts);
    Both both{*s, model};
    both.promise(ballot(7, 3, 1, 2));
    both.accepted(ballot(7, 3, 1, 2));
    s->sync();
    for (std::uint64_t i = 0; i < 40; ++i) {
      both.append({make_entry(i, 50)});
      both.decided(i + 1);
      both.trim(i + 1);
      s->sync();
    }
    EXPECT_FALSE(std::filesystem::exists(tmp.wal_dir() + "/" + wal::segment_file_name(1)));
  }
  auto s = open_ok(tmp.data_dir(), opts);
  expect_same_state(*s, model);
}

TEST(Trim, AMissingMiddleSegmentAfterTrimmingIsStillReported) {
  TempDir tmp;
  const DiskStorageOptions opts{.segment_bytes_max = 300, .repair = false};
  MemoryStorage model;
  {
    auto s = open_ok(tmp.data_dir(), opts);
    Both both{*s, model};
    for (std::uint64_t i = 0; i < 30; ++i) {
      both.append({make_entry(i, 50)});
      both.decided(i + 1);
      if (i >= 10) both.trim(i - 10);  // keeps a window of ten entries: several segments
      s->sync();
    }
  }
  const auto segments = segment_paths(tmp.wal_dir());
  ASSERT_GE(segments.size(), 4u);
  ASSERT_NE(std::filesystem::path(segments[0]).filename(), wal::segment_file_name(1));
  std::filesystem::remove(segments[2]);
  auto r = DiskStorage::open(tmp.data_dir(), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StorageError::Kind::kCorrupt);
  EXPECT_NE(r.error().message.find("corrupt record in " + segments[3] + " at offset 0"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("(a segment is missing)"), std::string::npos);
}

// The first segment left after trimming, lost too: its successor's checkpoint names a log whose
// entries nobody holds.
TEST(Trim, AMissingFirstSegmentAfterTrimmingIsReported) {
  TempDir tmp;
  const DiskStorageOptions opts{.segment_bytes_max = 300, .repair = false};
  {
    auto s = open_ok(tmp.data_dir(), opts);
    for (std::uint64_t i = 0; i < 30; ++i) {
      s->append(std::vector<paxos::Entry>{make_entry(i, 50)});
      s->set_decided_idx(LogIndex(i + 1));
      if (i >= 10) s->trim(LogIndex(i - 10));
      s->sync();
    }
  }
  const auto segments = segment_paths(tmp.wal_dir());
  std::filesystem::remove(segments[0]);
  auto r = DiskStorage::open(tmp.data_dir(), {.segment_bytes_max = 300, .repair = true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StorageError::Kind::kCorrupt);
  EXPECT_NE(r.error().message.find(segments[1] + " begins with a checkpoint"), std::string::npos)
      << r.error().message;
}

// A checkpoint is checked against the log replayed before it; a different one is corruption.
TEST(Trim, ACheckpointThatDisagreesWithTheLogBeforeItIsRefused) {
  TempDir tmp;
  const DiskStorageOptions opts{.segment_bytes_max = 200, .repair = false};
  {
    auto s = open_ok(tmp.data_dir(), opts);
    for (std::uint64_t i = 0; i < 4; ++i) {
      s->append(std::vector<paxos::Entry>{make_entry(i, 60)});
      s->sync();
    }
  }
  const auto segments = segment_paths(tmp.wal_dir());
  ASSERT_GE(segments.size(), 3u);
  // Re-encode the second segment's checkpoint with another decided index (valid CRC).
  std::string bytes = testing::read_bytes(segments[1]);
  const wal::DecodeResult d = wal::decode_record(bytes, 0);
  ASSERT_EQ(d.record.type, wal::RecordType::kCheckpoint);
  wal::Checkpoint cp = wal::parse_checkpoint(d.record);
  cp.decided_idx = LogIndex(99);
  std::string forged;
  wal::encode_checkpoint(forged, cp);
  bytes.replace(0, forged.size(), forged);
  testing::write_bytes(segments[1], bytes);
  auto r = DiskStorage::open(tmp.data_dir(), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("corrupt record in " + segments[1] +
                                   " at offset 0: checkpoint (promise"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("disagrees with the log before it"), std::string::npos);
}

// Segments written before checkpoints existed (no Checkpoint first) are refused, not misread.
TEST(Trim, ASegmentWithoutACheckpointIsRefused) {
  TempDir tmp;
  ASSERT_TRUE(std::filesystem::create_directories(tmp.wal_dir()));
  std::string old;
  wal::encode_append(old, LogIndex(0), "x");
  wal::encode_commit(old, 1);
  testing::write_bytes(tmp.wal_dir() + "/" + wal::segment_file_name(1), old);
  wal::encode_decided(old, LogIndex(1));  // a later batch, so this is not a torn tail
  wal::encode_commit(old, 2);
  testing::write_bytes(tmp.wal_dir() + "/" + wal::segment_file_name(1), old);
  auto r = DiskStorage::open(tmp.data_dir(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does not begin with a checkpoint"), std::string::npos)
      << r.error().message;
}

// The server's shape with trimming: batches sealed ahead of the writer still delete only after
// their own fsync, and the loop thread's count of segments matches the files afterwards.
TEST(Trim, SealedAheadBatchesDeleteInOrder) {
  TempDir tmp;
  const DiskStorageOptions opts{.segment_bytes_max = 250, .repair = false};
  MemoryStorage model;
  auto s = open_ok(tmp.data_dir(), opts);
  Both both{*s, model};
  std::vector<SealedBatch> sealed;
  for (std::uint64_t i = 0; i < 60; ++i) {
    both.append({make_entry(i, 40)});
    both.decided(i + 1);
    both.trim(i + 1 > 5 ? i - 4 : 0);
    sealed.push_back(s->seal_batch());
  }
  std::size_t obsolete = 0;
  for (const SealedBatch& b : sealed) {
    obsolete += b.obsolete_segments.size();
    s->writer().append_and_sync(b);
  }
  EXPECT_GT(obsolete, 5u);
  EXPECT_EQ(s->writer().segments_deleted(), obsolete);
  EXPECT_EQ(segment_paths(tmp.wal_dir()).size(), s->wal_segments());
  s.reset();
  expect_same_state(*open_ok(tmp.data_dir(), opts), model);
}

}  // namespace
}  // namespace paxoskv::storage
