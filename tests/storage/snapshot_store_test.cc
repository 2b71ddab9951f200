// The snapshot store: durable write and verified load, leftovers of a crash removed at open,
// damage in any header field or the payload refused (naming the file) or set aside with repair,
// chunked transfers that check order, size and checksum, and pruning to the newest K.
#include "storage/snapshot_store.h"

#include <gtest/gtest.h>

#include "storage/snapshot_file.h"
#include "storage_test_util.h"

namespace paxoskv::storage {
namespace {

using paxos::LogIndex;
using testing::TempDir;

std::string payload_of(std::uint64_t index, std::size_t bytes = 300) {
  std::string p = "state-machine-at-" + std::to_string(index) + ":";
  while (p.size() < bytes) p.push_back(static_cast<char>(p.size() * 31 + index));
  return p;
}

std::unique_ptr<SnapshotStore> open_store(const std::string& data, SnapshotStoreOptions opts = {}) {
  auto r = SnapshotStore::open(data, opts);
  if (!r.ok()) {
    ADD_FAILURE() << "open failed: " << r.error().message;
    return nullptr;
  }
  return std::move(r.value());
}

std::vector<std::string> file_names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SnapshotStore, EmptyAtFirstThenWriteLoadAndReopen) {
  TempDir tmp;
  const std::string data = tmp.data_dir();
  const std::string dir = data + "/snapshots";
  {
    auto store = open_store(data);
    ASSERT_TRUE(store);
    EXPECT_FALSE(store->latest());
    store->write(LogIndex(42), payload_of(42));
    store->write(LogIndex(7), "");  // an empty state machine is a valid snapshot
    ASSERT_TRUE(store->latest());
    EXPECT_EQ(store->latest()->index, LogIndex(42));
    EXPECT_EQ(store->latest()->path, dir + "/00000000000000000042.snap");
    EXPECT_EQ(store->latest()->size_bytes, snapshot::kHeaderBytes + 300);
  }
  auto store = open_store(data);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->latest()->index, LogIndex(42));
  EXPECT_EQ(store->load(LogIndex(42)).value(), payload_of(42));
  EXPECT_EQ(store->load(LogIndex(7)).value(), "");
  auto missing = store->load(LogIndex(8));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, StorageError::Kind::kNotFound);
}

TEST(SnapshotStore, TornTemporaryFilesAreRemovedAtOpen) {
  TempDir tmp;
  const std::string data = tmp.data_dir();
  const std::string dir = data + "/snapshots";
  open_store(data)->write(LogIndex(5), payload_of(5));
  // A write and a transfer that a crash interrupted, and someone else's file.
  testing::write_bytes(dir + "/00000000000000000009.snap.tmp", "PXKVSN");
  testing::write_bytes(dir + "/00000000000000000011.snap.recv-3.tmp", std::string(100, 'x'));
  testing::write_bytes(dir + "/README", "hello");
  auto store = open_store(data);
  ASSERT_TRUE(store);
  EXPECT_EQ(file_names(dir), (std::vector<std::string>{"00000000000000000005.snap", "README"}));
  EXPECT_EQ(store->latest()->index, LogIndex(5));
}

// One flipped bit in each header field and in the payload: refused, naming the file.
TEST(SnapshotStore, ABitFlipInEveryHeaderFieldOrThePayloadIsRefused) {
  TempDir tmp;
  const std::string data = tmp.data_dir();
  const std::string dir = data + "/snapshots";
  open_store(data)->write(LogIndex(77), payload_of(77));
  const std::string path = dir + "/" + snapshot::file_name(LogIndex(77));
  const std::string good = testing::read_bytes(path);
  const std::vector<std::pair<std::size_t, std::string>> flips = {
      {0, "not a snapshot file (bad magic)"}, {8, "unsupported snapshot format version 3"},
      {12, "header checksum mismatch"},       {16, "header checksum mismatch"},  // index
      {24, "header checksum mismatch"},                                          // length
      {32, "header checksum mismatch"},                                          // payload CRC
      {36, "header checksum mismatch"},                                          // reserved
      {40, "payload checksum mismatch"},      {good.size() - 1, "payload checksum mismatch"},
  };
  for (const auto& [offset, why] : flips) {
    SCOPED_TRACE("flip at " + std::to_string(offset));
    testing::flip_bit(path, offset, 1);
    auto r = SnapshotStore::open(data, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, StorageError::Kind::kCorrupt);
    EXPECT_EQ(r.error().message, "corrupt snapshot " + path + ": " + why +
                                     "; start with --repair to set it aside and use the next "
                                     "newest snapshot");
    testing::write_bytes(path, good);
  }
  // A file cut short, and one renamed to another index, are refused too.
  testing::write_bytes(path, good.substr(0, good.size() - 5));
  EXPECT_NE(SnapshotStore::open(data, {}).error().message.find("header says 300 payload bytes"),
            std::string::npos);
  testing::write_bytes(path, good.substr(0, 20));
  EXPECT_NE(SnapshotStore::open(data, {}).error().message.find("shorter than the header"),
            std::string::npos);
  std::filesystem::remove(path);
  testing::write_bytes(dir + "/" + snapshot::file_name(LogIndex(78)), good);
  EXPECT_NE(SnapshotStore::open(data, {}).error().message.find(
                "header says index 77 but the file name says 78"),
            std::string::npos);
}

TEST(SnapshotStore, RepairSetsACorruptNewestSnapshotAsideAndFallsBackToTheOlderOne) {
  TempDir tmp;
  const std::string data = tmp.data_dir();
  const std::string dir = data + "/snapshots";
  {
    auto store = open_store(data);
    store->write(LogIndex(10), payload_of(10));
    store->write(LogIndex(20), payload_of(20));
  }
  const std::string newest = dir + "/" + snapshot::file_name(LogIndex(20));
  testing::flip_bit(newest, 100, 3);
  EXPECT_FALSE(SnapshotStore::open(data, {}).ok());
  auto store = open_store(data, {.keep = 2, .receive_bytes_max = 1 << 20, .repair = true});
  ASSERT_TRUE(store);
  EXPECT_EQ(store->latest()->index, LogIndex(10));
  EXPECT_EQ(store->load(LogIndex(10)).value(), payload_of(10));
  EXPECT_TRUE(std::filesystem::exists(newest + ".corrupt"));
  EXPECT_FALSE(std::filesystem::exists(newest));
  // And without repair it opens now: the newest left is valid.
  store.reset();
  EXPECT_TRUE(open_store(data));
}

// Older snapshots are checked when loaded, not at open.
TEST(SnapshotStore, LoadOfADamagedOlderSnapshotNamesTheFile) {
  TempDir tmp;
  const std::string data = tmp.data_dir();
  const std::string dir = data + "/snapshots";
  auto store = open_store(data);
  store->write(LogIndex(10), payload_of(10));
  store->write(LogIndex(20), payload_of(20));
  const std::string older = dir + "/" + snapshot::file_name(LogIndex(10));
  testing::flip_bit(older, 60, 0);
  auto r = store->load(LogIndex(10));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "corrupt snapshot " + older + ": payload checksum mismatch");
}

TEST(SnapshotStore, OnlyTheNewestKSnapshotsAreKept) {
  TempDir tmp;
  const std::string data = tmp.data_dir();
  const std::string dir = data + "/snapshots";
  auto store = open_store(data, {.keep = 3, .receive_bytes_max = 1 << 20, .repair = false});
  for (std::uint64_t i = 1; i <= 6; ++i) store->write(LogIndex(i * 100), payload_of(i));
  EXPECT_EQ(file_names(dir),
            (std::vector<std::string>{"00000000000000000400.snap", "00000000000000000500.snap",
                                      "00000000000000000600.snap"}));
  ASSERT_EQ(store->snapshots().size(), 3u);
  EXPECT_EQ(store->bytes(), 3 * (snapshot::kHeaderBytes + 300));
  // A transfer of a pruned snapshot fails as a value.
  auto gone = store->read_chunk(LogIndex(100), 0, 10);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, StorageError::Kind::kNotFound);
  EXPECT_EQ(gone.error().message, "snapshot 100 is not held (pruned, or never written)");
}

// Sends the file of `index` from one store to another in chunks of `chunk_bytes`.
Result<SnapshotInfo> transfer(const SnapshotStore& from, SnapshotStore& to, LogIndex index,
                              std::size_t chunk_bytes) {
  auto first = from.read_chunk(index, 0, chunk_bytes);
  if (!first.ok()) return first.error();
  auto receiver = to.begin_receive(index, first.value().total_bytes);
  if (!receiver.ok()) return receiver.error();
  SnapshotChunk chunk = std::move(first.value());
  while (true) {
    if (auto added = receiver.value()->add(chunk.offset, chunk.data); !added.ok()) {
      return added.error();
    }
    if (chunk.last()) break;
    auto next = from.read_chunk(index, chunk.offset + chunk.data.size(), chunk_bytes);
    if (!next.ok()) return next.error();
    chunk = std::move(next.value());
  }
  return receiver.value()->finish();
}

TEST(SnapshotStore, ChunkedTransferRoundTrip) {
  TempDir tmp;
  auto leader = open_store(tmp.path() + "/a");
  auto follower = open_store(tmp.path() + "/b");
  leader->write(LogIndex(1234), payload_of(1234, 5000));
  for (const std::size_t chunk_bytes :
       {std::size_t{1}, std::size_t{7}, std::size_t{40}, std::size_t{4096}, std::size_t{1} << 20}) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk_bytes));
    auto info = transfer(*leader, *follower, LogIndex(1234), chunk_bytes);
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info.value().index, LogIndex(1234));
    EXPECT_EQ(follower->load(LogIndex(1234)).value(), payload_of(1234, 5000));
  }
  // Identical files, and nothing temporary left.
  EXPECT_EQ(testing::read_bytes(follower->latest()->path),
            testing::read_bytes(leader->latest()->path));
  EXPECT_EQ(file_names(tmp.path() + "/b/snapshots"),
            (std::vector<std::string>{"00000000000000001234.snap"}));
}

TEST(SnapshotStore, OutOfOrderOverlappingOrOverlongChunksAreRefused) {
  TempDir tmp;
  auto leader = open_store(tmp.path() + "/a");
  auto follower = open_store(tmp.path() + "/b");
  leader->write(LogIndex(9), payload_of(9));
  const std::string file = testing::read_bytes(leader->latest()->path);
  auto r = follower->begin_receive(LogIndex(9), file.size());
  ASSERT_TRUE(r.ok());
  SnapshotReceiver& rx = *r.value();
  EXPECT_EQ(rx.add(0, file.substr(0, 100)).value(), 100u);
  const auto skipped = rx.add(150, file.substr(150, 10));
  ASSERT_FALSE(skipped.ok());
  EXPECT_EQ(skipped.error().kind, StorageError::Kind::kRejected);
  EXPECT_EQ(skipped.error().message,
            "snapshot chunk at offset 150 but 100 bytes were received so far (out of order or "
            "overlapping)");
  EXPECT_FALSE(rx.add(50, file.substr(50, 60)).ok());          // overlapping
  EXPECT_FALSE(rx.add(100, file.substr(100) + "extra").ok());  // past the announced size
  EXPECT_TRUE(rx.add(100, file.substr(100)).ok());             // the right one still works
  ASSERT_TRUE(rx.finish().ok());
  EXPECT_EQ(follower->load(LogIndex(9)).value(), payload_of(9));
  EXPECT_FALSE(rx.add(file.size(), "x").ok()) << "a finished transfer takes nothing more";
}

TEST(SnapshotStore, ACorruptOrIncompleteTransferIsRejectedAndLeavesNothing) {
  TempDir tmp;
  auto leader = open_store(tmp.path() + "/a");
  auto follower = open_store(tmp.path() + "/b");
  leader->write(LogIndex(9), payload_of(9));
  const std::string file = testing::read_bytes(leader->latest()->path);
  struct Case {
    std::string bytes;
    LogIndex index;
    std::string why;
  };
  std::string flipped = file;
  flipped[200] ^= 0x10;
  std::string bad_header = file;
  bad_header[17] ^= 0x01;
  const std::vector<Case> cases = {
      {flipped, LogIndex(9), "payload checksum mismatch"},
      {bad_header, LogIndex(9), "header checksum mismatch"},
      {file, LogIndex(10), "header says index 9, not 10"},
      {file.substr(0, file.size() - 1), LogIndex(9), "header says 300 payload bytes but 299"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    auto rx = follower->begin_receive(c.index, c.bytes.size());
    ASSERT_TRUE(rx.ok());
    ASSERT_TRUE(rx.value()->add(0, c.bytes).ok());
    auto done = rx.value()->finish();
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(done.error().kind, StorageError::Kind::kRejected);
    EXPECT_NE(done.error().message.find(c.why), std::string::npos) << done.error().message;
    EXPECT_TRUE(file_names(tmp.path() + "/b/snapshots").empty());
  }
  // Incomplete, then abandoned without finish(): the temporary file goes with the receiver.
  {
    auto rx = follower->begin_receive(LogIndex(9), file.size());
    ASSERT_TRUE(rx.value()->add(0, file.substr(0, 10)).ok());
    EXPECT_EQ(file_names(tmp.path() + "/b/snapshots").size(), 1u);
    EXPECT_NE(rx.value()->finish().error().message.find("incomplete: 10 of 340 bytes"),
              std::string::npos);
  }
  {
    auto rx = follower->begin_receive(LogIndex(9), file.size());
    ASSERT_TRUE(rx.value()->add(0, file.substr(0, 10)).ok());
  }
  EXPECT_TRUE(file_names(tmp.path() + "/b/snapshots").empty());
  EXPECT_FALSE(follower->latest());
}

TEST(SnapshotStore, ATransferLargerThanTheLimitIsRefusedBeforeAnyByte) {
  TempDir tmp;
  auto store =
      open_store(tmp.path() + "/s", {.keep = 2, .receive_bytes_max = 1000, .repair = false});
  EXPECT_TRUE(store->begin_receive(LogIndex(1), snapshot::kHeaderBytes + 1000).ok());
  auto big = store->begin_receive(LogIndex(1), snapshot::kHeaderBytes + 1001);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().kind, StorageError::Kind::kRejected);
  EXPECT_FALSE(store->begin_receive(LogIndex(1), 3).ok());  // not even a header
}

}  // namespace
}  // namespace paxoskv::storage
