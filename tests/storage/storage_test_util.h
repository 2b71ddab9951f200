// Helpers shared by the storage tests: temporary directories, raw file surgery that models
// crashes and disk damage, and state comparison.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "paxos/memory_storage.h"
#include "storage/disk_storage.h"
#include "storage/wal_format.h"

namespace paxoskv::storage::testing {

// A fresh directory under /tmp, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/paxoskv-storage-test-XXXXXX";
    const char* made = ::mkdtemp(templ);
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string data_dir() const { return path_ + "/data"; }
  std::string wal_dir() const { return path_ + "/data/wal"; }

 private:
  std::string path_;
};

inline std::unique_ptr<DiskStorage> open_ok(const std::string& dir, DiskStorageOptions opts = {}) {
  auto r = DiskStorage::open(dir, opts);
  if (!r.ok()) {
    ADD_FAILURE() << "open failed: " << r.error().message;
    return nullptr;
  }
  return std::move(r.value());
}

// The total size of the regular files under `dir` (recursively).
inline std::uintmax_t directory_bytes(const std::string& dir) {
  std::uintmax_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// Segment paths in replay order.
inline std::vector<std::string> segment_paths(const std::string& wal_dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(wal_dir)) {
    if (wal::parse_segment_file_name(e.path().filename().string())) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline void append_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// In place (no truncation): metadata operations are slow on the test machines' disks.
inline void flip_bit(const std::string& path, std::size_t offset, int bit) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  ASSERT_TRUE(f.get(c)) << "offset " << offset << " is past the end of " << path;
  c = static_cast<char>(c ^ (1 << bit));
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(c);
}

inline std::uintmax_t file_size(const std::string& path) {
  return std::filesystem::file_size(path);
}

// Offsets and types of the records in a segment (which must decode cleanly).
struct RecordSpan {
  std::size_t offset;
  std::size_t size;
  wal::RecordType type;
};
inline std::vector<RecordSpan> record_spans(const std::string& bytes) {
  std::vector<RecordSpan> out;
  for (std::size_t off = 0; off < bytes.size();) {
    const wal::DecodeResult d = wal::decode_record(bytes, off);
    if (d.status != wal::DecodeStatus::kOk) break;
    out.push_back({off, d.record.size_bytes, d.record.type});
    off += d.record.size_bytes;
  }
  return out;
}

// The entries held: [compacted_idx(), log_end()).
inline std::vector<paxos::Entry> all_entries(const paxos::Storage& s) {
  std::vector<paxos::Entry> out;
  s.read(s.compacted_idx(), s.log_end(), out);
  return out;
}

// Field-by-field (Ballot::operator== ignores config_id, so compare that too).
inline void expect_same_ballot(const paxos::Ballot& a, const paxos::Ballot& b, const char* what) {
  EXPECT_EQ(a.config_id, b.config_id) << what;
  EXPECT_EQ(a.n, b.n) << what;
  EXPECT_EQ(a.priority, b.priority) << what;
  EXPECT_EQ(a.pid, b.pid) << what;
}

inline void expect_same_state(const paxos::Storage& actual, const paxos::Storage& expected) {
  EXPECT_EQ(actual.compacted_idx(), expected.compacted_idx());
  EXPECT_EQ(actual.log_end(), expected.log_end());
  EXPECT_EQ(all_entries(actual), all_entries(expected));
  expect_same_ballot(actual.promise(), expected.promise(), "promise");
  expect_same_ballot(actual.accepted_round(), expected.accepted_round(), "accepted_round");
  EXPECT_EQ(actual.decided_idx(), expected.decided_idx());
}

inline paxos::Ballot ballot(std::uint32_t n, std::uint64_t pid, std::uint64_t priority = 0,
                            std::uint32_t config = 1) {
  paxos::Ballot b;
  b.config_id = paxos::ConfigId(config);
  b.n = n;
  b.priority = priority;
  b.pid = paxos::NodeId(pid);
  return b;
}

inline paxos::Entry make_entry(std::uint64_t i, std::size_t size = 24) {
  std::string e = "entry-" + std::to_string(i) + "-";
  while (e.size() < size) e.push_back(static_cast<char>('a' + (e.size() + i) % 26));
  e.resize(size);
  return e;
}

// Applies the same calls to two storages (the DiskStorage under test and a MemoryStorage model).
struct Both {
  paxos::Storage& a;
  paxos::Storage& b;
  void append(std::vector<paxos::Entry> entries) {
    a.append(entries);
    b.append(entries);
  }
  void truncate(std::uint64_t from) {
    a.truncate(paxos::LogIndex(from));
    b.truncate(paxos::LogIndex(from));
  }
  void promise(const paxos::Ballot& x) {
    a.set_promise(x);
    b.set_promise(x);
  }
  void accepted(const paxos::Ballot& x) {
    a.set_accepted_round(x);
    b.set_accepted_round(x);
  }
  void decided(std::uint64_t i) {
    a.set_decided_idx(paxos::LogIndex(i));
    b.set_decided_idx(paxos::LogIndex(i));
  }
  void trim(std::uint64_t index) {
    a.trim(paxos::LogIndex(index));
    b.trim(paxos::LogIndex(index));
  }
  void reset_to_snapshot(std::uint64_t index) {
    a.reset_to_snapshot(paxos::LogIndex(index));
    b.reset_to_snapshot(paxos::LogIndex(index));
  }
};

}  // namespace paxoskv::storage::testing
