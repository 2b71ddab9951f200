// Model-based property test: random sequences of writes (appends, truncations, metadata, trims
// and resets to a snapshot), syncs and crashes against testing::FaultyStorage, which keeps exactly
// what the durability contract promises (the state of the last completed sync) and nothing more.
//
// Crashes come in four kinds: the process dies with writes unsynced; it dies in the middle of
// writing a batch (a random prefix of the batch reaches the file); it dies after the whole batch
// reached the file but before the fsync returned (which the disk may still keep: then it is
// durable, and the model syncs too); or it dies after the fsync, in the middle of deleting the
// segments the batch made obsolete. Small segments make the last two common.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "faulty_storage.h"
#include "storage_test_util.h"

namespace paxoskv::storage {
namespace {

using paxos::Ballot;
using paxos::LogIndex;
using testing::open_ok;
using testing::TempDir;

// Recovery logs every torn tail it cuts; hundreds of cases would drown the test output.
const bool kQuietLogs = [] {
  if (std::getenv("PAXOSKV_TEST_LOG") == nullptr) spdlog::set_level(spdlog::level::err);
  return true;
}();

bool same_ballot(const Ballot& a, const Ballot& b) {
  return a.config_id == b.config_id && a.n == b.n && a.priority == b.priority && a.pid == b.pid;
}

void check_same(const paxos::Storage& actual, const paxos::Storage& model, bool full) {
  RC_ASSERT(actual.compacted_idx() == model.compacted_idx());
  RC_ASSERT(actual.log_end() == model.log_end());
  RC_ASSERT(same_ballot(actual.promise(), model.promise()));
  RC_ASSERT(same_ballot(actual.accepted_round(), model.accepted_round()));
  RC_ASSERT(actual.decided_idx() == model.decided_idx());
  if (full) RC_ASSERT(testing::all_entries(actual) == testing::all_entries(model));
}

// Once the writer has done its deletions, the files are exactly the segments the storage counts.
void check_segment_files(const DiskStorage& s, const std::string& wal_dir) {
  RC_ASSERT(testing::segment_paths(wal_dir).size() == s.wal_segments());
}

Ballot gen_ballot() {
  return testing::ballot(
      *rc::gen::inRange<std::uint32_t>(0, 20), *rc::gen::inRange<std::uint64_t>(0, 4),
      *rc::gen::inRange<std::uint64_t>(0, 3), *rc::gen::inRange<std::uint32_t>(0, 3));
}

// inRange scales with RapidCheck's size, which would make early cases almost only appends: the
// operation kind is drawn at full size so every kind is equally likely from the first case on.
int uniform_op(int kinds) {
  return *rc::gen::resize(100, rc::gen::inRange(0, kinds));
}

// An index in [lo, hi] (inclusive), drawn at full size.
std::uint64_t index_in(std::uint64_t lo, std::uint64_t hi) {
  return *rc::gen::resize(100, rc::gen::inRange<std::uint64_t>(lo, hi + 1));
}

// Writes the first `keep` bytes of `batch` where the writer would have put them, bypassing it
// (and its fsync, and the deletion of obsolete segments that follows it).
void write_raw(DiskStorage& s, const std::string& wal_dir, const SealedBatch& batch,
               std::size_t keep) {
  std::string path = s.writer().current_segment_path();
  if (batch.starts_segment) path = wal_dir + "/" + wal::segment_file_name(s.writer().next_batch());
  testing::append_bytes(path, std::string_view(batch.bytes).substr(0, keep));
}

// One random write, applied to both.
void random_write(DiskStorage& s, ::paxoskv::testing::FaultyStorage& model) {
  const std::uint64_t start = model.compacted_idx().value();
  const std::uint64_t end = model.log_end().value();
  switch (uniform_op(11)) {
    case 0:
    case 1:
    case 2: {
      std::vector<paxos::Entry> entries;
      for (int k = *rc::gen::inRange(1, 4); k > 0; --k) {
        const auto size = static_cast<std::size_t>(*rc::gen::inRange(0, 60));
        entries.push_back(*rc::gen::container<std::string>(size, rc::gen::arbitrary<char>()));
      }
      s.append(entries);
      model.append(entries);
      break;
    }
    case 3: {  // never into the trimmed prefix (the core never truncates below decided)
      const LogIndex from(index_in(start, end + 1));
      s.truncate(from);
      model.truncate(from);
      break;
    }
    case 4: {
      const Ballot b = gen_ballot();
      if (uniform_op(2) == 0) {
        s.set_promise(b);
        model.set_promise(b);
      } else {
        s.set_accepted_round(b);
        model.set_accepted_round(b);
      }
      break;
    }
    case 5:
    case 6: {  // decided stays at or above the log start, as the core keeps it; often the end
      const LogIndex i(uniform_op(2) == 0 ? end : index_in(start, end));
      s.set_decided_idx(i);
      model.set_decided_idx(i);
      break;
    }
    case 7:
    case 8:
    case 9: {  // below decided and the log end; sometimes a no-op below the log start
      const LogIndex i(index_in(0, std::min(model.decided_idx().value(), end)));
      s.trim(i);
      model.trim(i);
      break;
    }
    default: {  // a snapshot from another node: anywhere from below the start to past the end
      const LogIndex i(index_in(start > 3 ? start - 3 : 0, end + 5));
      s.reset_to_snapshot(i);
      model.reset_to_snapshot(i);
      // The core then decides up to the snapshot, in the same batch.
      if (model.decided_idx() != i) {
        s.set_decided_idx(i);
        model.set_decided_idx(i);
      }
      break;
    }
  }
}

RC_GTEST_PROP(DiskStorageModel, MatchesAModelThatKeepsOnlySyncedState, ()) {
  TempDir tmp;
  DiskStorageOptions opts;
  opts.segment_bytes_max = *rc::gen::element<std::uint64_t>(120, 300, 1000, 64u << 20);
  auto s = open_ok(tmp.data_dir(), opts);
  RC_ASSERT(s != nullptr);
  ::paxoskv::testing::FaultyStorage model;

  // What the case exercised, for RapidCheck's distribution report.
  bool deleted_segments = false, reopened_past_batch_1 = false, deleted_at_open = false;
  const int steps = *rc::gen::resize(100, rc::gen::inRange(1, 80));
  for (int step = 0; step < steps; ++step) {
    deleted_segments |= s->writer().segments_deleted() > 0;
    bool crashed = false;
    switch (uniform_op(16)) {
      case 7:
      case 8:
      case 9:
        s->sync();
        model.sync();
        check_segment_files(*s, tmp.wal_dir());
        break;
      case 10:  // the process dies with its writes unsynced
        crashed = true;
        break;
      case 11: {  // dies mid-write: a strict prefix of the batch reaches the file
        const SealedBatch batch = s->seal_batch();
        if (!batch.empty()) {
          // Often exactly every record but the Commit: the cut that tests batch atomicity.
          const auto keep = uniform_op(2) == 0 ? batch.size() - wal::kCommitRecordBytes
                                               : *rc::gen::inRange<std::size_t>(0, batch.size());
          write_raw(*s, tmp.wal_dir(), batch, keep);
        }
        crashed = true;
        break;
      }
      case 12: {  // dies after the whole batch reached the file, before fsync returned
        const SealedBatch batch = s->seal_batch();
        write_raw(*s, tmp.wal_dir(), batch, batch.size());
        model.sync();
        crashed = true;
        break;
      }
      case 13: {  // dies after the fsync, having deleted only some of the obsolete segments
        SealedBatch batch = s->seal_batch();
        if (!batch.empty()) {
          batch.obsolete_segments.resize(
              *rc::gen::inRange<std::size_t>(0, batch.obsolete_segments.size() + 1));
          s->writer().append_and_sync(batch);
        }
        model.sync();
        crashed = true;
        break;
      }
      default:
        random_write(*s, model);
        break;
    }
    if (crashed) {
      s.reset();
      model.crash();
      s = open_ok(tmp.data_dir(), opts);
      RC_ASSERT(s != nullptr);
      check_segment_files(*s, tmp.wal_dir());
      reopened_past_batch_1 |= s->recovery_report().first_batch > 1;
      deleted_at_open |= s->recovery_report().obsolete_deleted > 0;
    }
    check_same(*s, model, crashed);
  }
  // Finally a clean reopen sees exactly the synced state.
  s.reset();
  model.crash();
  s = open_ok(tmp.data_dir(), opts);
  RC_ASSERT(s != nullptr);
  check_same(*s, model, true);
  deleted_segments |= s->recovery_report().first_batch > 1;
  RC_CLASSIFY(deleted_segments, "segments deleted");
  RC_CLASSIFY(reopened_past_batch_1, "reopened with the first segment past batch 1");
  RC_CLASSIFY(deleted_at_open, "recovery finished an interrupted deletion");
}

}  // namespace
}  // namespace paxoskv::storage
