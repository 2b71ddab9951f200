// Sequence Paxos with a trimmed log: a leader sends a follower that lacks trimmed entries an
// AcceptSync that needs its snapshot; the follower waits for the driver to install it and only
// then accepts; a preparing leader whose best promise starts at a follower's snapshot waits for
// that snapshot before it adopts. Nothing changes while waiting, and a snapshot that is no longer
// wanted is refused.
#include <gtest/gtest.h>

#include "test_helpers.h"

namespace paxoskv::paxos {
namespace {

using namespace testing;

const Ballot kOld = ballot(1, 3);
const Ballot kB = ballot(2, 1);  // node 1 leads

// Storage with `n` entries e0..e(n-1) accepted in `round`, decided `decided`, trimmed below `trim`.
MemoryStorage trimmed(std::size_t n, Ballot round, std::uint64_t decided, std::uint64_t trim,
                      Ballot promise) {
  std::vector<Entry> log;
  for (std::size_t i = 0; i < n; ++i) log.push_back("e" + std::to_string(i));
  MemoryStorage s = stored(log, round, decided, promise);
  s.trim(LogIndex(trim));
  return s;
}

TEST(SpSnapshot, LeaderSendsAFollowerBehindItsTrimmedLogASyncFromItsSnapshot) {
  auto l = sp_node(make_config(1, {1, 2, 3}), trimmed(10, kOld, 10, 6, kOld));
  l->sp->handle_leader(kB);
  l->out();
  // Follower 2 has decided only 2 entries: the leader trimmed what it needs.
  l->deliver(msg(2, 1, Promise{kB, kOld, idx(2), idx(2), idx(2), {}}));
  const auto sync = only<AcceptSync>(l->out(), 2);
  EXPECT_TRUE(sync.from_snapshot);
  EXPECT_EQ(sync.sync_idx, idx(6));
  EXPECT_EQ(sync.suffix, entries({"e6", "e7", "e8", "e9"}));
}

TEST(SpSnapshot, FollowerWaitsForTheSnapshotThenAcceptsTheSyncInOneStep) {
  auto f = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a", "b"}), kOld, 1, kOld));
  f->deliver(msg(1, 2, Prepare{kB, idx(8), kOld, idx(10)}));
  f->out();
  AcceptSync sync{kB, 1, idx(9), idx(6), entries({"e6", "e7", "e8", "e9"})};
  sync.from_snapshot = true;
  f->deliver(msg(1, 2, sync));
  EXPECT_TRUE(f->out().empty()) << "no Accepted before the snapshot is in";
  ASSERT_TRUE(f->sp->snapshot_wanted().has_value());
  EXPECT_EQ(*f->sp->snapshot_wanted(), (SnapshotWanted{id(1), idx(6)}));
  EXPECT_EQ(f->storage.entries(), entries({"a", "b"})) << "log untouched while waiting";
  // Later messages of the session are held while waiting: no answer, no PrepareReq storm.
  f->deliver(msg(1, 2, AcceptDecide{kB, 2, idx(9), idx(10), entries({"e10"})}));
  f->deliver(msg(1, 2, Decide{kB, 3, idx(11)}));
  EXPECT_TRUE(f->out().empty());
  EXPECT_EQ(f->storage.entries(), entries({"a", "b"})) << "log untouched while waiting";

  EXPECT_FALSE(f->sp->snapshot_installed(idx(5))) << "not the wanted index";
  ASSERT_TRUE(f->sp->snapshot_installed(idx(6)));
  EXPECT_FALSE(f->sp->snapshot_wanted().has_value());
  EXPECT_EQ(f->storage.compacted_idx(), idx(6));
  EXPECT_EQ(f->storage.accepted_round(), kB);
  EXPECT_EQ(f->sp->phase(), Phase::kAccept);
  // The held messages were taken after the sync, in order.
  EXPECT_EQ(f->storage.entries(), entries({"e6", "e7", "e8", "e9", "e10"}));
  EXPECT_EQ(f->sp->decided_idx(), idx(11));
  auto out = f->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"Accepted"});
  EXPECT_EQ(only<Accepted>(out, 1).accepted_idx, idx(11));
}

TEST(SpSnapshot, HeldMessagesWithAGapMakeTheFollowerAskToBePreparedAgain) {
  auto f = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a"}), kOld, 1, kOld));
  f->deliver(msg(1, 2, Prepare{kB, idx(8), kOld, idx(10)}));
  f->out();
  AcceptSync sync{kB, 1, idx(9), idx(6), entries({"e6", "e7", "e8", "e9"})};
  sync.from_snapshot = true;
  f->deliver(msg(1, 2, sync));
  // seq 2 was lost on the way.
  f->deliver(msg(1, 2, AcceptDecide{kB, 3, idx(9), idx(11), entries({"e11"})}));
  ASSERT_TRUE(f->sp->snapshot_installed(idx(6)));
  EXPECT_EQ(f->storage.entries(), entries({"e6", "e7", "e8", "e9"}));
  EXPECT_EQ(only<PrepareReq>(f->out(), 1).promise, kB);
}

TEST(SpSnapshot, TooManyHeldEntriesAreDroppedAndTheFollowerAsksToBePreparedAgain) {
  Config c = make_config(2, {1, 2, 3});
  c.batch_entries_max = 2;
  c.pipeline_entries_max = 2;  // the most a leader sends unacknowledged
  auto f = sp_node(c, stored(entries({"a"}), kOld, 1, kOld));
  f->deliver(msg(1, 2, Prepare{kB, idx(8), kOld, idx(10)}));
  f->out();
  AcceptSync sync{kB, 1, idx(9), idx(6), entries({"e6", "e7", "e8", "e9"})};
  sync.from_snapshot = true;
  f->deliver(msg(1, 2, sync));
  f->deliver(msg(1, 2, AcceptDecide{kB, 2, idx(9), idx(10), entries({"e10", "e11"})}));
  f->deliver(msg(1, 2, AcceptDecide{kB, 3, idx(9), idx(12), entries({"e12"})}));
  EXPECT_TRUE(f->out().empty());
  ASSERT_TRUE(f->sp->snapshot_installed(idx(6)));
  EXPECT_EQ(f->storage.entries(), entries({"e6", "e7", "e8", "e9"})) << "nothing held is taken";
  EXPECT_EQ(only<PrepareReq>(f->out(), 1).promise, kB);
}

TEST(SpSnapshot, AFailedTransferMakesTheFollowerAskToBePreparedAgain) {
  auto f = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a"}), kOld, 1, kOld));
  f->deliver(msg(1, 2, Prepare{kB, idx(8), kOld, idx(10)}));
  f->out();
  AcceptSync sync{kB, 1, idx(9), idx(6), entries({"e6"})};
  sync.from_snapshot = true;
  f->deliver(msg(1, 2, sync));
  f->sp->snapshot_failed();
  EXPECT_FALSE(f->sp->snapshot_wanted().has_value());
  EXPECT_EQ(only<PrepareReq>(f->out(), 1).promise, kB);
  EXPECT_FALSE(f->sp->snapshot_installed(idx(6)));
}

TEST(SpSnapshot, ANewPrepareCancelsTheWait) {
  auto f = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a"}), kOld, 1, kOld));
  f->deliver(msg(1, 2, Prepare{kB, idx(8), kOld, idx(10)}));
  AcceptSync sync{kB, 1, idx(9), idx(6), entries({"e6"})};
  sync.from_snapshot = true;
  f->deliver(msg(1, 2, sync));
  f->deliver(msg(3, 2, Prepare{ballot(3, 3), idx(8), kOld, idx(10)}));
  EXPECT_FALSE(f->sp->snapshot_wanted().has_value());
  EXPECT_FALSE(f->sp->snapshot_installed(idx(6)));
}

TEST(SpSnapshot, FollowerThatTrimmedWhatTheLeaderLacksPromisesFromItsSnapshot) {
  auto f = sp_node(make_config(2, {1, 2, 3}), trimmed(10, kOld, 10, 7, kOld));
  f->deliver(msg(1, 2, Prepare{kB, idx(3), Ballot{}, idx(3)}));
  const auto p = only<Promise>(f->out(), 1);
  EXPECT_TRUE(p.from_snapshot);
  EXPECT_EQ(p.suffix_start, idx(7));
  EXPECT_EQ(p.suffix, entries({"e7", "e8", "e9"}));
}

TEST(SpSnapshot, LeaderAdoptsALogThatStartsAtAFollowersSnapshotOnlyOnceItIsInstalled) {
  auto l = sp_node(make_config(1, {1, 2, 3}), stored(entries({"e0", "e1", "x"}), Ballot{}, 2,
                                                     Ballot{}));
  l->sp->handle_leader(kB);
  l->out();
  Promise p{kB, kOld, idx(10), idx(10), idx(7), entries({"e7", "e8", "e9"})};
  p.from_snapshot = true;
  l->deliver(msg(2, 1, p));
  EXPECT_EQ(l->sp->phase(), Phase::kPrepare) << "cannot adopt before the snapshot is here";
  ASSERT_EQ(l->sp->snapshot_wanted(), (SnapshotWanted{id(2), idx(7)}));
  EXPECT_EQ(l->storage.entries(), entries({"e0", "e1", "x"}));
  ASSERT_TRUE(l->sp->snapshot_installed(idx(7)));
  EXPECT_EQ(l->sp->phase(), Phase::kAccept);
  EXPECT_EQ(l->storage.compacted_idx(), idx(7));
  EXPECT_EQ(l->storage.entries(), entries({"e7", "e8", "e9"}));
  EXPECT_EQ(l->storage.accepted_round(), kB);
  EXPECT_EQ(l->sp->decided_idx(), idx(10));
}

}  // namespace
}  // namespace paxoskv::paxos
