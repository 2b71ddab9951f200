// Sequence Paxos, prepare phase (paper §5.1): Prepare -> Promise on the follower, and on the
// leader the read quorum of promises, adoption of the most up-to-date log and AcceptSync.
#include <gtest/gtest.h>

#include "test_helpers.h"

namespace paxoskv::paxos {
namespace {

using namespace testing;

const Ballot r1 = ballot(1, 3);  // an older round, led by node 3
const Ballot r2 = ballot(2, 3);

Message prepare(std::uint64_t from, std::uint64_t to, Ballot b, std::uint64_t decided,
                Ballot accepted_round, std::uint64_t accepted_idx) {
  return msg(from, to, Prepare{b, idx(decided), accepted_round, idx(accepted_idx)});
}

Message promise(std::uint64_t from, std::uint64_t to, Ballot b, Ballot round, std::uint64_t end,
                std::uint64_t decided, std::uint64_t suffix_start, std::vector<Entry> suffix) {
  return msg(from, to, Promise{b, round, idx(end), idx(decided), idx(suffix_start), suffix});
}

// ---- follower: Prepare -> Promise ----

TEST(SpPrepare, AFollowerPromisesAndPersistsTheHigherBallot) {
  auto f = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a", "b"}), r1, 1, r1));
  f->deliver(prepare(1, 2, ballot(3, 1), 1, r1, 2));
  auto out = f->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"Promise"});
  EXPECT_EQ(out[0].to, id(1));
  auto p = std::get<Promise>(out[0].payload);
  EXPECT_EQ(p.ballot, ballot(3, 1));
  EXPECT_EQ(p.accepted_round, r1);
  EXPECT_EQ(p.accepted_idx, idx(2));
  EXPECT_EQ(p.decided_idx, idx(1));
  EXPECT_EQ(f->storage.promise(), ballot(3, 1));
  EXPECT_EQ(f->sp->promise(), ballot(3, 1));
  EXPECT_EQ(f->sp->phase(), Phase::kPrepare);
  EXPECT_EQ(f->sp->leader(), id(1));
}

TEST(SpPrepare, AFollowerInANewerRoundSendsEverythingAfterTheLeadersDecidedIdx) {
  auto f = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a", "b", "c"}), r2, 1, r2));
  f->deliver(prepare(1, 2, ballot(3, 1), 1, r1, 5));  // leader: older round, longer log
  auto p = only<Promise>(f->out(), 1);
  EXPECT_EQ(p.accepted_round, r2);
  EXPECT_EQ(p.accepted_idx, idx(3));
  EXPECT_EQ(p.suffix_start, idx(1));
  EXPECT_EQ(p.suffix, entries({"b", "c"}));
}

TEST(SpPrepare, AFollowerInTheSameRoundWithALongerLogSendsWhatFollowsTheLeadersEnd) {
  auto f = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a", "b", "c", "d"}), r1, 0, r1));
  f->deliver(prepare(1, 2, ballot(3, 1), 0, r1, 2));
  auto p = only<Promise>(f->out(), 1);
  EXPECT_EQ(p.suffix_start, idx(2));
  EXPECT_EQ(p.suffix, entries({"c", "d"}));
  EXPECT_EQ(p.accepted_idx, idx(4));
}

TEST(SpPrepare, AFollowerNoMoreUpToDateSendsAnEmptySuffix) {
  // Same round, not longer.
  auto same = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a", "b"}), r1, 0, r1));
  same->deliver(prepare(1, 2, ballot(3, 1), 0, r1, 2));
  auto p = only<Promise>(same->out(), 1);
  EXPECT_TRUE(p.suffix.empty());
  EXPECT_EQ(p.suffix_start, idx(2));
  // Older round, even with a longer log.
  auto older = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a", "b", "c"}), r1, 0, r1));
  older->deliver(prepare(1, 2, ballot(3, 1), 0, r2, 1));
  p = only<Promise>(older->out(), 1);
  EXPECT_TRUE(p.suffix.empty());
  EXPECT_EQ(p.suffix_start, p.accepted_idx);
  EXPECT_EQ(p.accepted_round, r1);
}

TEST(SpPrepare, ALowerBallotPrepareIsAnsweredWithNotAccepted) {
  auto f = sp_node(make_config(2, {1, 2, 3}), stored({}, {}, 0, ballot(5, 3)));
  f->deliver(prepare(1, 2, ballot(4, 1), 0, {}, 0));
  auto out = f->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"NotAccepted"});
  EXPECT_EQ(out[0].to, id(1));
  EXPECT_EQ(std::get<NotAccepted>(out[0].payload).promise, ballot(5, 3));
  EXPECT_EQ(f->storage.promise(), ballot(5, 3)) << "the promise never goes backwards";
}

TEST(SpPrepare, ARepeatedPrepareOfThePromisedBallotIsPromisedAgain) {
  auto f = sp_node(make_config(2, {1, 2, 3}));
  f->deliver(prepare(1, 2, ballot(1, 1), 0, {}, 0));
  EXPECT_EQ(count_of<Promise>(f->out()), 1u);
  f->deliver(prepare(1, 2, ballot(1, 1), 0, {}, 0));
  EXPECT_EQ(count_of<Promise>(f->out()), 1u);
}

TEST(SpPrepare, AHigherPrepareDeposesALeader) {
  auto l = sp_node(make_config(1, {1, 2, 3}));
  l->sp->handle_leader(ballot(1, 1));
  ASSERT_EQ(l->sp->role(), Role::kLeader);
  l->out();
  l->deliver(prepare(3, 1, ballot(2, 3), 0, {}, 0));
  EXPECT_EQ(l->sp->role(), Role::kFollower);
  EXPECT_EQ(l->sp->leader(), id(3));
  EXPECT_EQ(only<Promise>(l->out(), 3).ballot, ballot(2, 3));
}

// ---- leader: Prepare, Promise quorum, adoption, AcceptSync ----

TEST(SpPrepare, ANewLeaderSendsPrepareDescribingItsLogToEveryPeer) {
  auto l = sp_node(make_config(1, {1, 2, 3}), stored(entries({"a", "b"}), r1, 1, r1));
  l->sp->handle_leader(ballot(2, 1));
  EXPECT_EQ(l->sp->role(), Role::kLeader);
  EXPECT_EQ(l->sp->phase(), Phase::kPrepare);
  EXPECT_EQ(l->storage.promise(), ballot(2, 1));
  auto out = l->out();
  ASSERT_EQ(names(out), (std::vector<std::string>{"Prepare", "Prepare"}));
  for (std::uint64_t peer : {2, 3}) {
    auto p = only<Prepare>(out, peer);
    EXPECT_EQ(p.ballot, ballot(2, 1));
    EXPECT_EQ(p.decided_idx, idx(1));
    EXPECT_EQ(p.accepted_round, r1);
    EXPECT_EQ(p.accepted_idx, idx(2));
  }
}

TEST(SpPrepare, AnElectedBallotNotAboveThePromiseDoesNotStartAPrepare) {
  auto l = sp_node(make_config(1, {1, 2, 3}), stored({}, {}, 0, ballot(4, 2)));
  l->sp->handle_leader(ballot(3, 1));
  EXPECT_EQ(l->sp->role(), Role::kFollower);
  EXPECT_TRUE(l->out().empty());
}

TEST(SpPrepare, TheLeaderWaitsForAReadQuorumOfPromises) {
  auto l = sp_node(make_config(1, {1, 2, 3, 4, 5}));
  const Ballot b = ballot(1, 1);
  l->sp->handle_leader(b);
  l->out();
  l->deliver(promise(2, 1, b, {}, 0, 0, 0, {}));
  EXPECT_EQ(l->sp->phase(), Phase::kPrepare) << "2 of 5 is not a quorum";
  EXPECT_TRUE(l->out().empty());
  l->deliver(promise(2, 1, b, {}, 0, 0, 0, {}));  // the same node again counts once
  EXPECT_EQ(l->sp->phase(), Phase::kPrepare);
  l->deliver(promise(3, 1, ballot(0, 3), {}, 0, 0, 0, {}));  // another ballot: ignored
  EXPECT_EQ(l->sp->phase(), Phase::kPrepare);
  l->deliver(promise(3, 1, b, {}, 0, 0, 0, {}));
  EXPECT_EQ(l->sp->phase(), Phase::kAccept);
  auto out = l->out();
  EXPECT_EQ(names(out), (std::vector<std::string>{"AcceptSync", "AcceptSync"}));
  EXPECT_EQ(only<AcceptSync>(out, 2).seq, 1u);
  EXPECT_EQ(only<AcceptSync>(out, 3).seq, 1u);
}

TEST(SpPrepare, TheLeaderAdoptsTheLogOfTheNewestRoundAndSyncsEachFollowerFromItsOwnPoint) {
  // Leader: round r1, [a b], decided 1. Node 2: round r2, [a x y]. Node 3: round r1, [a b c d].
  auto l = sp_node(make_config(1, {1, 2, 3, 4, 5}), stored(entries({"a", "b"}), r1, 1, r2));
  const Ballot b = ballot(3, 1);
  l->sp->handle_leader(b);
  l->out();
  l->deliver(promise(3, 1, b, r1, 4, 1, 2, entries({"c", "d"})));
  l->deliver(promise(2, 1, b, r2, 3, 1, 1, entries({"x", "y"})));
  ASSERT_EQ(l->sp->phase(), Phase::kAccept);
  EXPECT_EQ(l->storage.entries(), entries({"a", "x", "y"}));
  EXPECT_EQ(l->storage.accepted_round(), b);
  auto out = l->out();
  ASSERT_EQ(names(out), (std::vector<std::string>{"AcceptSync", "AcceptSync"}));
  auto to2 = only<AcceptSync>(out, 2);  // has the adopted log already
  EXPECT_EQ(to2.ballot, b);
  EXPECT_EQ(to2.sync_idx, idx(3));
  EXPECT_TRUE(to2.suffix.empty());
  auto to3 = only<AcceptSync>(out, 3);  // agrees only up to what it decided
  EXPECT_EQ(to3.sync_idx, idx(1));
  EXPECT_EQ(to3.suffix, entries({"x", "y"}));
  EXPECT_EQ(to3.decided_idx, idx(1));
}

TEST(SpPrepare, TheLeaderAdoptsALongerLogOfTheSameRound) {
  auto l = sp_node(make_config(1, {1, 2, 3}), stored(entries({"a", "b"}), r1, 0, r1));
  const Ballot b = ballot(2, 1);
  l->sp->handle_leader(b);
  l->out();
  l->deliver(promise(2, 1, b, r1, 4, 0, 2, entries({"c", "d"})));
  EXPECT_EQ(l->storage.entries(), entries({"a", "b", "c", "d"}));
  auto s = only<AcceptSync>(l->out(), 2);
  EXPECT_EQ(s.sync_idx, idx(4));
  EXPECT_TRUE(s.suffix.empty());
}

TEST(SpPrepare, TheLeaderKeepsItsOwnLogWhenItIsTheMostUpToDate) {
  auto l = sp_node(make_config(1, {1, 2, 3}), stored(entries({"a", "b", "c"}), r2, 1, r2));
  const Ballot b = ballot(3, 1);
  l->sp->handle_leader(b);
  l->out();
  l->deliver(promise(2, 1, b, r1, 5, 1, 5, {}));  // older round: its longer log loses
  EXPECT_EQ(l->storage.entries(), entries({"a", "b", "c"}));
  auto s = only<AcceptSync>(l->out(), 2);
  EXPECT_EQ(s.sync_idx, idx(1));
  EXPECT_EQ(s.suffix, entries({"b", "c"}));
}

TEST(SpPrepare, TheLeaderLearnsTheLargestDecidedIdxAmongThePromises) {
  auto l = sp_node(make_config(1, {1, 2, 3}), stored(entries({"a", "b", "c"}), r1, 0, r1));
  const Ballot b = ballot(2, 1);
  l->sp->handle_leader(b);
  l->out();
  l->deliver(promise(2, 1, b, r1, 3, 2, 3, {}));
  EXPECT_EQ(l->sp->decided_idx(), idx(2));
  EXPECT_EQ(l->storage.decided_idx(), idx(2));
  EXPECT_EQ(only<AcceptSync>(l->out(), 2).decided_idx, idx(2));
}

TEST(SpPrepare, ALatePromiseIsAnsweredWithAnAcceptSyncAtItsSyncPoint) {
  auto l = sp_node(make_config(1, {1, 2, 3}), stored(entries({"a", "b", "c"}), r1, 1, r1));
  const Ballot b = ballot(2, 1);
  l->sp->handle_leader(b);
  l->out();
  l->deliver(promise(2, 1, b, r1, 3, 1, 3, {}));
  l->out();
  l->deliver(promise(3, 1, b, r1, 2, 1, 2, {}));  // same round as adopted, shorter
  auto s = only<AcceptSync>(l->out(), 3);
  EXPECT_EQ(s.sync_idx, idx(2));
  EXPECT_EQ(s.suffix, entries({"c"}));
  EXPECT_EQ(s.seq, 1u);
}

TEST(SpPrepare, AFlexibleReadQuorumNeedsThatManyPromises) {
  Config c = make_config(1, {1, 2, 3, 4, 5});
  c.read_quorum_size = 4;
  c.write_quorum_size = 2;
  auto l = sp_node(c);
  const Ballot b = ballot(1, 1);
  l->sp->handle_leader(b);
  for (std::uint64_t p : {2, 3}) {
    l->deliver(promise(p, 1, b, {}, 0, 0, 0, {}));
    EXPECT_EQ(l->sp->phase(), Phase::kPrepare);
  }
  l->deliver(promise(4, 1, b, {}, 0, 0, 0, {}));
  EXPECT_EQ(l->sp->phase(), Phase::kAccept);
}

TEST(SpPrepare, ProposalsMadeWhilePreparingAreAppendedOnAdoption) {
  auto l = sp_node(make_config(1, {1, 2, 3}));
  const Ballot b = ballot(1, 1);
  l->sp->handle_leader(b);
  l->out();
  EXPECT_EQ(l->sp->append("p"), ProposeResult::kAccepted);
  EXPECT_EQ(l->sp->buffered_proposals(), 1u);
  EXPECT_EQ(l->sp->log_end(), idx(0));
  l->deliver(promise(2, 1, b, {}, 0, 0, 0, {}));
  EXPECT_EQ(l->storage.entries(), entries({"p"}));
  EXPECT_EQ(l->sp->buffered_proposals(), 0u);
  auto s = only<AcceptSync>(l->out(), 2);
  EXPECT_EQ(s.sync_idx, idx(0));
  EXPECT_EQ(s.suffix, entries({"p"}));
}

}  // namespace
}  // namespace paxoskv::paxos
