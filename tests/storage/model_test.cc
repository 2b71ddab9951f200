// Model-based property test: random sequences of writes, syncs and crashes against
// testing::FaultyStorage, which keeps exactly what the durability contract promises (the state of
// the last completed sync) and nothing more.
//
// Crashes come in three kinds: the process dies with writes unsynced; it dies in the middle of
// writing a batch (a random prefix of the batch reaches the file); or it dies after the whole
// batch reached the file but before the fsync returned (which the disk may still keep: then it is
// durable, and the model syncs too).
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
  RC_ASSERT(actual.log_end() == model.log_end());
  RC_ASSERT(same_ballot(actual.promise(), model.promise()));
  RC_ASSERT(same_ballot(actual.accepted_round(), model.accepted_round()));
  RC_ASSERT(actual.decided_idx() == model.decided_idx());
  if (full) RC_ASSERT(testing::all_entries(actual) == testing::all_entries(model));
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

// Writes `bytes` where the writer would have put them, bypassing it (and its fsync).
void write_raw(DiskStorage& s, const std::string& wal_dir, std::string_view bytes) {
  std::string path = s.writer().current_segment_path();
  if (path.empty()) path = wal_dir + "/" + wal::segment_file_name(s.writer().next_batch());
  testing::append_bytes(path, bytes);
}

RC_GTEST_PROP(DiskStorageModel, MatchesAModelThatKeepsOnlySyncedState, ()) {
  TempDir tmp;
  DiskStorageOptions opts;
  opts.segment_bytes_max = *rc::gen::element<std::uint64_t>(120, 1000, 64u << 20);
  auto s = open_ok(tmp.data_dir(), opts);
  RC_ASSERT(s != nullptr);
  ::paxoskv::testing::FaultyStorage model;

  const int steps = *rc::gen::inRange(1, 40);
  for (int step = 0; step < steps; ++step) {
    bool crashed = false;
    switch (uniform_op(12)) {
      case 0:
      case 1:
      case 2: {
        std::vector<paxos::Entry> entries;
        for (int k = *rc::gen::inRange(1, 4); k > 0; --k) {
          const auto size = static_cast<std::size_t>(*rc::gen::inRange(0, 60));
          entries.push_back(*rc::gen::container<std::string>(size, rc::gen::arbitrary<char>()));
        }
        s->append(entries);
        model.append(entries);
        break;
      }
      case 3: {
        const auto from =
            LogIndex(*rc::gen::inRange<std::uint64_t>(0, model.log_end().value() + 2));
        s->truncate(from);
        model.truncate(from);
        break;
      }
      case 4: {
        const Ballot b = gen_ballot();
        s->set_promise(b);
        model.set_promise(b);
        break;
      }
      case 5: {
        const Ballot b = gen_ballot();
        s->set_accepted_round(b);
        model.set_accepted_round(b);
        break;
      }
      case 6: {
        const auto i = LogIndex(*rc::gen::inRange<std::uint64_t>(0, model.log_end().value() + 1));
        s->set_decided_idx(i);
        model.set_decided_idx(i);
        break;
      }
      case 7:
      case 8:
        s->sync();
        model.sync();
        break;
      case 9:  // the process dies with its writes unsynced
        crashed = true;
        break;
      case 10: {  // dies mid-write: a strict prefix of the batch reaches the file
        const std::string batch = s->seal_batch();
        if (!batch.empty()) {
          // Often exactly every record but the Commit: the cut that tests batch atomicity.
          const auto keep = uniform_op(2) == 0 ? batch.size() - wal::kCommitRecordBytes
                                               : *rc::gen::inRange<std::size_t>(0, batch.size());
          write_raw(*s, tmp.wal_dir(), std::string_view(batch).substr(0, keep));
        }
        crashed = true;
        break;
      }
      default: {  // dies after the whole batch reached the file, before fsync returned
        write_raw(*s, tmp.wal_dir(), s->seal_batch());
        model.sync();
        crashed = true;
        break;
      }
    }
    if (crashed) {
      s.reset();
      model.crash();
      s = open_ok(tmp.data_dir(), opts);
      RC_ASSERT(s != nullptr);
    }
    check_same(*s, model, crashed);
  }
  // Finally a clean reopen sees exactly the synced state.
  s.reset();
  model.crash();
  s = open_ok(tmp.data_dir(), opts);
  RC_ASSERT(s != nullptr);
  check_same(*s, model, true);
}

}  // namespace
}  // namespace paxoskv::storage
