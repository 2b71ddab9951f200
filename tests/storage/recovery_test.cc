// Recovery from crashes and damage: torn tails are cut, corruption elsewhere refuses to start
// (or is cut with repair), and a missing segment is corruption.
#include <gtest/gtest.h>

#include <utility>

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
using testing::read_bytes;
using testing::record_spans;
using testing::segment_paths;
using testing::TempDir;
using testing::write_bytes;

// Writes `batches` batches (the last one small) and returns the model state after each batch:
// history[k] is the state once batch k is durable, history[0] the empty state.
std::vector<MemoryStorage> build_wal(const std::string& dir, int batches,
                                     std::uint64_t segment_bytes_max = 64u << 20) {
  DiskStorageOptions opts;
  opts.segment_bytes_max = segment_bytes_max;
  auto s = open_ok(dir, opts);
  MemoryStorage model;
  std::vector<MemoryStorage> history{model};
  Both both{*s, model};
  for (int b = 1; b <= batches; ++b) {
    const auto i = static_cast<std::uint64_t>(b);
    if (b == batches) {
      both.append({make_entry(100 * i, 4), make_entry(100 * i + 1, 4)});
    } else {
      both.promise(ballot(static_cast<std::uint32_t>(b), 3));
      both.append({make_entry(100 * i, 30), make_entry(100 * i + 1, 12)});
      if (b % 3 == 0) both.truncate(model.log_end().value() - 1);
      both.accepted(ballot(static_cast<std::uint32_t>(b), 3, 1));
    }
    both.decided(i);
    s->sync();
    history.push_back(model);
  }
  return history;
}

// Each record of the WAL with the segment holding it and the batch it belongs to (1-based).
struct Located {
  std::string path;
  testing::RecordSpan span;
  int batch;
};
std::vector<Located> locate_records(const std::string& wal_dir) {
  std::vector<Located> out;
  int batch = 1;
  for (const std::string& path : segment_paths(wal_dir)) {
    for (const auto& r : record_spans(read_bytes(path))) {
      out.push_back({path, r, batch});
      if (r.type == wal::RecordType::kCommit) ++batch;
    }
  }
  return out;
}

// One flipped bit in each field of a record: length (low bit, and a high bit that makes it huge),
// CRC, type, first and last payload byte.
std::vector<std::pair<std::size_t, int>> field_flips(const testing::RecordSpan& r) {
  return {{r.offset, 0},     {r.offset + 3, 6}, {r.offset + 5, 2},
          {r.offset + 8, 0}, {r.offset + 9, 4}, {r.offset + r.size - 1, 7}};
}

using Snapshot = std::vector<std::pair<std::string, std::string>>;
Snapshot snapshot(const std::string& wal_dir) {
  Snapshot out;
  for (const std::string& p : segment_paths(wal_dir)) out.emplace_back(p, read_bytes(p));
  return out;
}
// Puts back the files of `snap`, touching only those that differ.
void restore(const std::string& wal_dir, const Snapshot& snap) {
  const Snapshot now = snapshot(wal_dir);
  for (const auto& [path, bytes] : now) {
    if (std::find(snap.begin(), snap.end(), std::make_pair(path, bytes)) != snap.end()) continue;
    std::filesystem::remove(path);
  }
  for (const auto& entry : snap) {
    if (std::find(now.begin(), now.end(), entry) == now.end())
      write_bytes(entry.first, entry.second);
  }
}

TEST(Recovery, TornTailAtEveryByteOfTheLastBatchIsCut) {
  TempDir tmp;
  const auto history = build_wal(tmp.data_dir(), 4);
  const std::string path = segment_paths(tmp.wal_dir()).at(0);
  const std::string full = read_bytes(path);
  const auto records = locate_records(tmp.wal_dir());
  std::size_t last_batch_start = 0;
  for (const auto& r : records) {
    if (r.batch < 4) last_batch_start = r.span.offset + r.span.size;
  }
  for (std::size_t cut = last_batch_start; cut <= full.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    write_bytes(path, full.substr(0, cut));
    auto s = open_ok(tmp.data_dir());
    ASSERT_TRUE(s);
    const bool whole = cut == full.size();
    expect_same_state(*s, history[whole ? 4 : 3]);
    EXPECT_EQ(s->recovery_report().torn_bytes_cut, whole ? 0 : cut - last_batch_start);
    EXPECT_EQ(testing::file_size(path), whole ? full.size() : last_batch_start);
  }
}

TEST(Recovery, TornFirstBatchOfANewSegmentRemovesTheSegment) {
  TempDir tmp;
  const auto history = build_wal(tmp.data_dir(), 3, 150);  // every batch gets its own segment
  const auto segments = segment_paths(tmp.wal_dir());
  ASSERT_EQ(segments.size(), 3u);
  const std::string full = read_bytes(segments[2]);
  for (std::size_t cut = 0; cut < full.size(); cut += 5) {
    write_bytes(segments[2], full.substr(0, cut));
    auto s = open_ok(tmp.data_dir(), {.segment_bytes_max = 150, .repair = false});
    ASSERT_TRUE(s);
    expect_same_state(*s, history[2]);
    EXPECT_FALSE(std::filesystem::exists(segments[2])) << cut;
  }
  // The next batch re-creates the segment under the same name.
  auto s = open_ok(tmp.data_dir(), {.segment_bytes_max = 150, .repair = false});
  s->append(std::vector<paxos::Entry>{make_entry(1)});
  s->sync();
  EXPECT_TRUE(std::filesystem::exists(segments[2]));
}

TEST(Recovery, GarbageAfterTheLastCommitIsCut) {
  TempDir tmp;
  const auto history = build_wal(tmp.data_dir(), 3);
  const std::string path = segment_paths(tmp.wal_dir()).at(0);
  const std::string full = read_bytes(path);
  for (const std::string& tail : {std::string("\x05\x00\x00\x00junkjunk"),
                                  std::string(100, '\0') + "x" + std::string(100, '\0')}) {
    write_bytes(path, full + tail);
    auto s = open_ok(tmp.data_dir());
    expect_same_state(*s, history[3]);
    EXPECT_EQ(s->recovery_report().torn_bytes_cut, tail.size());
    EXPECT_EQ(testing::file_size(path), full.size());
  }
}

TEST(Recovery, AllZeroTailIsUnusedSpaceAndIsKept) {
  TempDir tmp;
  const auto history = build_wal(tmp.data_dir(), 3);
  const std::string path = segment_paths(tmp.wal_dir()).at(0);
  const std::string full = read_bytes(path);
  write_bytes(path, full + std::string(4096, '\0'));
  auto s = open_ok(tmp.data_dir());
  expect_same_state(*s, history[3]);
  EXPECT_EQ(s->recovery_report().torn_bytes_cut, 0u);
  EXPECT_TRUE(s->recovery_report().actions.empty());
  EXPECT_EQ(testing::file_size(path), full.size() + 4096);
}

// The writer keeps segments extended with zeros (zero_ahead_bytes); recovery reads the zero tails
// as unused space, in the last segment and in earlier ones, and the writer goes on over them.
TEST(Recovery, SegmentsWithZeroTailsReplayAndTakeMoreBatches) {
  TempDir tmp;
  DiskStorageOptions opts;
  opts.segment_bytes_max = 400;
  opts.zero_ahead_bytes = 256;
  MemoryStorage model;
  for (int run = 0; run < 3; ++run) {
    auto s = open_ok(tmp.data_dir(), opts);
    expect_same_state(*s, model);
    EXPECT_EQ(s->recovery_report().torn_bytes_cut, 0u);
    Both both{*s, model};
    for (std::uint64_t i = 0; i < 12; ++i) {
      const std::uint64_t n = model.log_end().value();
      both.append({make_entry(n, 5 + (n * 7) % 40)});
      both.decided(n / 2);
      s->sync();
    }
  }
  const auto segments = segment_paths(tmp.wal_dir());
  ASSERT_GT(segments.size(), 3u);
  std::size_t zero_tails = 0;
  for (const auto& path : segments) {
    const std::string bytes = read_bytes(path);
    EXPECT_LE(bytes.size(), opts.segment_bytes_max + 200u) << path;  // one batch may pass the max
    zero_tails += bytes.back() == '\0' ? 1 : 0;
  }
  EXPECT_GT(zero_tails, 1u);
  auto s = open_ok(tmp.data_dir(), opts);
  expect_same_state(*s, model);
}

// The server asks before writing a batch on its event loop whether the batch would also extend
// the zero tail (a much larger write); the answer must match what the append then does.
TEST(Recovery, TheWriterForetellsEachZeroTailExtension) {
  TempDir tmp;
  DiskStorageOptions opts;
  opts.zero_ahead_bytes = 1024;
  auto s = open_ok(tmp.data_dir(), opts);
  MemoryStorage model;
  Both both{*s, model};
  both.append({make_entry(0, 10)});
  s->sync();  // the first batch creates the segment
  const std::string path = segment_paths(tmp.wal_dir()).at(0);
  std::size_t extensions = 0;
  for (std::uint64_t i = 1; i < 60; ++i) {
    both.append({make_entry(i, 40)});
    const SealedBatch batch = s->seal_batch();
    const bool foretold = s->writer().append_extends_zero_tail(batch.size());
    const std::uint64_t before = testing::file_size(path);
    s->writer().append_and_sync(batch);
    const std::uint64_t after = testing::file_size(path);
    EXPECT_EQ(foretold, after > before) << "batch " << i;
    extensions += foretold ? 1 : 0;
  }
  EXPECT_GT(extensions, 2u);
  EXPECT_LT(extensions, 20u);
}

TEST(Recovery, ATornBatchInsideTheZeroTailIsCut) {
  TempDir tmp;
  DiskStorageOptions opts;
  opts.zero_ahead_bytes = 4096;
  MemoryStorage model;
  std::size_t data_end = 0;
  {
    auto s = open_ok(tmp.data_dir(), opts);
    Both both{*s, model};
    both.append({make_entry(1, 20)});
    s->sync();
    data_end = s->writer().bytes_written();
  }
  const std::string path = segment_paths(tmp.wal_dir()).at(0);
  std::string bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), data_end + 100);
  bytes[data_end + 50] = 'x';  // part of a next batch reached the disk, the rest did not
  write_bytes(path, bytes);
  auto s = open_ok(tmp.data_dir(), opts);
  expect_same_state(*s, model);
  EXPECT_EQ(testing::file_size(path), data_end);
}

TEST(Recovery, BitFlipsInTheLastBatchAreCutLikeATornWrite) {
  TempDir tmp;
  const int n = 4;
  const auto history = build_wal(tmp.data_dir(), n);
  const Snapshot original = snapshot(tmp.wal_dir());
  for (const auto& r : locate_records(tmp.wal_dir())) {
    if (r.batch != n) continue;
    for (auto [offset, bit] : field_flips(r.span)) {
      SCOPED_TRACE("flip at " + std::to_string(offset) + " bit " + std::to_string(bit));
      testing::flip_bit(r.path, offset, bit);
      auto s = open_ok(tmp.data_dir());
      ASSERT_TRUE(s);
      expect_same_state(*s, history[n - 1]);
      EXPECT_GT(s->recovery_report().torn_bytes_cut, 0u);
      s.reset();
      restore(tmp.wal_dir(), original);
    }
  }
}

// Damage followed by a later batch: the damaged data had been synced, so a crash cannot explain
// it. Checked for a flip in every field of every record of every earlier batch, both in an
// earlier segment and earlier in the last segment.
void expect_flips_refused_then_repaired(const std::string& data_dir, const std::string& wal_dir,
                                        const std::vector<MemoryStorage>& history, int last_batch,
                                        std::uint64_t segment_bytes_max) {
  const Snapshot original = snapshot(wal_dir);
  const DiskStorageOptions strict{.segment_bytes_max = segment_bytes_max, .repair = false};
  const DiskStorageOptions repair{.segment_bytes_max = segment_bytes_max, .repair = true};
  int cases = 0;
  int repaired_batch = 0;
  for (const auto& r : locate_records(wal_dir)) {
    if (r.batch >= last_batch) continue;
    for (auto [offset, bit] : field_flips(r.span)) {
      SCOPED_TRACE(r.path + ": flip at " + std::to_string(offset) + " bit " + std::to_string(bit));
      testing::flip_bit(r.path, offset, bit);
      const Snapshot damaged = snapshot(wal_dir);
      auto refused = DiskStorage::open(data_dir, strict);
      ASSERT_FALSE(refused.ok());
      EXPECT_EQ(refused.error().kind, StorageError::Kind::kCorrupt);
      const std::string& msg = refused.error().message;
      EXPECT_EQ(msg.rfind("corrupt record in " + r.path + " at offset " +
                              std::to_string(r.span.offset) + ": ",
                          0),
                0u)
          << msg;
      EXPECT_TRUE(msg.ends_with("; start with --repair to truncate the log there")) << msg;
      EXPECT_EQ(snapshot(wal_dir), damaged) << "a refused open must not touch the files";
      ++cases;

      // Repair cuts and fsyncs (slow on this disk): check it once per damaged batch.
      if (std::exchange(repaired_batch, r.batch) == r.batch) {
        testing::flip_bit(r.path, offset, bit);  // undo
        continue;
      }
      auto repaired = open_ok(data_dir, repair);
      ASSERT_TRUE(repaired);
      EXPECT_TRUE(repaired->recovery_report().repaired);
      expect_same_state(*repaired, history[static_cast<std::size_t>(r.batch - 1)]);
      repaired.reset();
      restore(wal_dir, original);
    }
  }
  EXPECT_GT(cases, 10);
}

TEST(Recovery, BitFlipsInAnEarlierSegmentRefuseToStartUnlessRepair) {
  TempDir tmp;
  const int n = 6;
  const auto history = build_wal(tmp.data_dir(), n, 250);
  ASSERT_GE(segment_paths(tmp.wal_dir()).size(), 3u);
  expect_flips_refused_then_repaired(tmp.data_dir(), tmp.wal_dir(), history, n, 250);
}

TEST(Recovery, BitFlipsEarlierInTheLastSegmentRefuseToStartUnlessRepair) {
  TempDir tmp;
  const int n = 4;
  const auto history = build_wal(tmp.data_dir(), n);
  ASSERT_EQ(segment_paths(tmp.wal_dir()).size(), 1u);
  expect_flips_refused_then_repaired(tmp.data_dir(), tmp.wal_dir(), history, n, 64u << 20);
}

// Batch b+1 damaged, its Commit intact, and the start of batch b+2 after it: b+1 was synced.
TEST(Recovery, DamageBeforeACommitFollowedByAnotherWriteIsCorruption) {
  TempDir tmp;
  const auto history = build_wal(tmp.data_dir(), 3);
  {
    auto s = open_ok(tmp.data_dir());
    s->append(std::vector<paxos::Entry>{make_entry(9)});
    std::string torn = s->seal_batch().bytes;
    testing::append_bytes(segment_paths(tmp.wal_dir()).at(0), torn.substr(0, torn.size() - 3));
  }
  const auto records = locate_records(tmp.wal_dir());
  const auto victim =
      std::find_if(records.begin(), records.end(), [](const Located& r) { return r.batch == 3; });
  testing::flip_bit(victim->path, victim->span.offset + 9, 1);
  auto r = DiskStorage::open(tmp.data_dir(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StorageError::Kind::kCorrupt) << r.error().message;
}

TEST(Recovery, MissingMiddleSegmentIsRefusedUnlessRepair) {
  TempDir tmp;
  const DiskStorageOptions strict{.segment_bytes_max = 150, .repair = false};
  const auto history = build_wal(tmp.data_dir(), 5, 150);
  const auto segments = segment_paths(tmp.wal_dir());
  ASSERT_EQ(segments.size(), 5u);
  std::filesystem::remove(segments[2]);
  auto r = DiskStorage::open(tmp.data_dir(), strict);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StorageError::Kind::kCorrupt);
  EXPECT_EQ(r.error().message,
            "corrupt record in " + segments[3] +
                " at offset 0: segment starts at batch 4 but batch 3 was expected (a segment is "
                "missing); start with --repair to truncate the log there");

  auto s = open_ok(tmp.data_dir(), {.segment_bytes_max = 150, .repair = true});
  ASSERT_TRUE(s);
  expect_same_state(*s, history[2]);
  EXPECT_EQ(segment_paths(tmp.wal_dir()), (std::vector<std::string>{segments[0], segments[1]}));
}

// Recovery may start at any segment (each begins with a checkpoint), so a lost first segment
// shows as entries that the second one's checkpoint says the log holds and nobody has. Even
// --repair refuses: no cut brings them back.
TEST(Recovery, MissingFirstSegmentIsRefusedEvenWithRepair) {
  TempDir tmp;
  build_wal(tmp.data_dir(), 3, 150);
  const auto segments = segment_paths(tmp.wal_dir());
  std::filesystem::remove(segments.at(0));
  for (const bool repair : {false, true}) {
    auto r = DiskStorage::open(tmp.data_dir(), {.segment_bytes_max = 150, .repair = repair});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, StorageError::Kind::kCorrupt);
    EXPECT_EQ(r.error().message,
              "the WAL lacks the entries [0, 2): " + segments[1] +
                  " begins with a checkpoint of a log that holds them, and no segment has them (a "
                  "segment before it is missing); --repair cannot bring them back");
  }
}

TEST(Recovery, EarlierSegmentCutShortIsCorruption) {
  TempDir tmp;
  build_wal(tmp.data_dir(), 4, 150);
  const std::string first = segment_paths(tmp.wal_dir()).at(0);
  std::filesystem::resize_file(first, testing::file_size(first) - 1);
  auto r = DiskStorage::open(tmp.data_dir(), {.segment_bytes_max = 150, .repair = false});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StorageError::Kind::kCorrupt);
}

TEST(Recovery, EmptyLastSegmentFromACrashAfterCreationIsRemoved) {
  TempDir tmp;
  const auto history = build_wal(tmp.data_dir(), 2);
  const std::string empty = tmp.wal_dir() + "/" + wal::segment_file_name(3);
  write_bytes(empty, "");
  auto s = open_ok(tmp.data_dir());
  expect_same_state(*s, history[2]);
  EXPECT_FALSE(std::filesystem::exists(empty));
}

TEST(Recovery, ForeignFilesInTheWalDirectoryAreIgnored) {
  TempDir tmp;
  const auto history = build_wal(tmp.data_dir(), 2);
  write_bytes(tmp.wal_dir() + "/notes.txt", "hello");
  expect_same_state(*open_ok(tmp.data_dir()), history[2]);
}

}  // namespace
}  // namespace paxoskv::storage
