// Sequence Paxos, accept phase on the leader (paper §5.2): streaming AcceptDecide in batches,
// deciding on a write quorum of Accepted, resends, keep-alives and step-down.
#include <gtest/gtest.h>

#include "test_helpers.h"

namespace paxoskv::paxos {
namespace {

using namespace testing;

const Ballot kB = ballot(1, 1);

// Node 1 leading {1..n} with ballot kB, in the accept phase, every follower synced on an empty
// log, and the outbox drained.
std::unique_ptr<SpNode> accepting_leader(Config c) {
  auto l = sp_node(std::move(c));
  l->sp->handle_leader(kB);
  for (NodeId peer : l->config.nodes) {
    if (peer == id(1)) continue;
    l->deliver(msg(peer.value(), 1, Promise{kB, {}, idx(0), idx(0), idx(0), {}}));
  }
  EXPECT_EQ(l->sp->phase(), Phase::kAccept);
  l->out();
  return l;
}

Message accepted(std::uint64_t from, std::uint64_t end, Ballot b = kB) {
  return msg(from, 1, Accepted{b, idx(end)});
}

TEST(SpLeader, AProposalIsAppendedAndStreamedToEverySyncedFollower) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  EXPECT_EQ(l->sp->append("a"), ProposeResult::kAccepted);
  EXPECT_EQ(l->storage.entries(), entries({"a"}));
  auto out = l->out();
  ASSERT_EQ(names(out), (std::vector<std::string>{"AcceptDecide", "AcceptDecide"}));
  for (std::uint64_t f : {2, 3}) {
    auto a = only<AcceptDecide>(out, f);
    EXPECT_EQ(a.ballot, kB);
    EXPECT_EQ(a.seq, 2u) << "AcceptSync was 1";
    EXPECT_EQ(a.start_idx, idx(0));
    EXPECT_EQ(a.entries, entries({"a"}));
  }
  EXPECT_TRUE(l->out().empty()) << "nothing is sent twice";
}

TEST(SpLeader, AcceptedFromAWriteQuorumAdvancesTheDecidedIdx) {
  auto l = accepting_leader(make_config(1, {1, 2, 3, 4, 5}));
  for (const char* e : {"a", "b", "c"}) l->sp->append(e);
  l->out();
  l->deliver(accepted(2, 3));
  EXPECT_EQ(l->sp->decided_idx(), idx(0)) << "leader + 1 of 5 is not a write quorum";
  l->deliver(accepted(3, 2));
  EXPECT_EQ(l->sp->decided_idx(), idx(2)) << "leader, 2 and 3 all hold [0, 2)";
  EXPECT_EQ(l->storage.decided_idx(), idx(2));
  l->deliver(accepted(4, 3));
  EXPECT_EQ(l->sp->decided_idx(), idx(3));
  // The new decided index travels in a Decide to every synced follower, at the next tick.
  EXPECT_TRUE(l->out().empty()) << "a decided index alone waits for the next tick";
  l->ticks(1);
  auto out = l->out();
  ASSERT_EQ(count_of<Decide>(out), 4u);
  EXPECT_EQ(only<Decide>(out, 5).decided_idx, idx(3));
}

TEST(SpLeader, ADecidedIndexRidesOnTheNextAcceptDecideInsteadOfADecide) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->sp->append("a");
  l->out();
  l->deliver(accepted(2, 1));
  ASSERT_EQ(l->sp->decided_idx(), idx(1));
  EXPECT_TRUE(l->out().empty());
  l->sp->append("b");
  auto out = l->out();
  ASSERT_EQ(names(out), (std::vector<std::string>{"AcceptDecide", "AcceptDecide"}));
  EXPECT_EQ(only<AcceptDecide>(out, 3).decided_idx, idx(1));
  l->ticks(1);
  EXPECT_TRUE(l->out().empty()) << "both followers were told already";
}

TEST(SpLeader, AFollowerWhoseForwardedEntriesAreDecidedIsToldAtOnce) {
  // Its clients wait for the decision; the other follower's do not.
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  ProposalForward f;
  f.ballot = kB;
  f.session = 1;
  f.seq = 1;
  f.entries = entries({"f1"});
  l->deliver(msg(2, 1, std::move(f)));
  l->out();
  l->deliver(accepted(3, 1));
  ASSERT_EQ(l->sp->decided_idx(), idx(1));
  auto out = l->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"Decide"});
  EXPECT_EQ(only<Decide>(out, 2).decided_idx, idx(1));
  l->ticks(1);
  EXPECT_EQ(only<Decide>(l->out(), 3).decided_idx, idx(1)) << "the other one at the next tick";
}

TEST(SpLeader, AcceptedOfAnotherBallotOrOlderIndexDoesNotCount) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->sp->append("a");
  l->sp->append("b");
  l->out();
  l->deliver(accepted(2, 2, ballot(0, 2)));
  EXPECT_EQ(l->sp->decided_idx(), idx(0));
  l->deliver(accepted(2, 1));
  EXPECT_EQ(l->sp->decided_idx(), idx(1));
  l->deliver(accepted(2, 0));  // reordered, older
  EXPECT_EQ(l->sp->decided_idx(), idx(1));
}

TEST(SpLeader, AFlexibleWriteQuorumDecidesWithThatManyAccepted) {
  Config c = make_config(1, {1, 2, 3, 4, 5});
  c.read_quorum_size = 4;
  c.write_quorum_size = 2;
  auto l = accepting_leader(c);
  l->sp->append("a");
  l->out();  // the leader's own log is durable: it counts as one of the two
  l->deliver(accepted(5, 1));
  EXPECT_EQ(l->sp->decided_idx(), idx(1));
}

TEST(SpLeader, TheLeadersOwnLogCountsOnlyOnceReportedDurable) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  const DurabilityMark before_a = l->sp->durability_mark();
  l->sp->append("a");
  const DurabilityMark with_a = l->sp->durability_mark();
  std::vector<Message> out;
  l->sp->take_outgoing(out);  // AcceptDecide leaves before our own sync (SendRule)
  ASSERT_EQ(count_of<AcceptDecide>(out), 2u);
  EXPECT_EQ(send_rule(out[0].payload), SendRule::kBeforeSyncInOrder);
  l->deliver(accepted(2, 1));
  EXPECT_EQ(l->sp->decided_idx(), idx(0)) << "one follower and an unsynced leader are not two";
  l->sp->made_durable(before_a);
  EXPECT_EQ(l->sp->decided_idx(), idx(0)) << "a mark taken before the append does not cover it";
  l->sp->made_durable(with_a);
  EXPECT_EQ(l->sp->decided_idx(), idx(1));
}

TEST(SpLeader, TwoFollowersDecideWithoutTheLeadersOwnSync) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->sp->append("a");
  std::vector<Message> out;
  l->sp->take_outgoing(out);
  l->deliver(accepted(2, 1));
  l->deliver(accepted(3, 1));
  EXPECT_EQ(l->sp->decided_idx(), idx(1));
}

TEST(SpLeader, AMarkOfAnotherRoundDoesNotCount) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->sp->append("a");
  DurabilityMark stale = l->sp->durability_mark();
  stale.round = ballot(0, 2);
  l->sp->made_durable(stale);
  l->deliver(accepted(2, 1));
  EXPECT_EQ(l->sp->decided_idx(), idx(0));
}

TEST(SpLeader, BatchEntriesMaxSplitsAcceptDecideIntoSeveralMessages) {
  Config c = make_config(1, {1, 2, 3});
  c.batch_entries_max = 2;
  auto l = accepting_leader(c);
  for (const char* e : {"a", "b", "c", "d", "e"}) l->sp->append(e);
  auto out = l->out();
  std::vector<AcceptDecide> to2;
  for (auto& [to, a] : of_type<AcceptDecide>(out)) {
    if (to == id(2)) to2.push_back(a);
  }
  ASSERT_EQ(to2.size(), 3u);
  EXPECT_EQ(to2[0].start_idx, idx(0));
  EXPECT_EQ(to2[0].entries, entries({"a", "b"}));
  EXPECT_EQ(to2[1].start_idx, idx(2));
  EXPECT_EQ(to2[1].entries, entries({"c", "d"}));
  EXPECT_EQ(to2[2].start_idx, idx(4));
  EXPECT_EQ(to2[2].entries, entries({"e"}));
  EXPECT_EQ(to2[1].seq, to2[0].seq + 1);
  EXPECT_EQ(to2[2].seq, to2[1].seq + 1);
}

TEST(SpLeader, BatchBytesMaxSplitsAcceptDecideButSendsAtLeastOneEntry) {
  Config c = make_config(1, {1, 2});
  c.batch_bytes_max = 4;
  auto l = accepting_leader(c);
  for (const char* e : {"aa", "bb", "cccccc", "d"}) l->sp->append(e);
  std::vector<std::vector<Entry>> batches;
  for (auto& [to, a] : of_type<AcceptDecide>(l->out())) batches.push_back(a.entries);
  EXPECT_EQ(batches, (std::vector<std::vector<Entry>>{
                         entries({"aa", "bb"}), entries({"cccccc"}), entries({"d"})}));
}

TEST(SpLeader, AcceptSyncCarriesTheWholeSuffixWhateverTheBatchLimits) {
  // A follower that takes our round must hold every entry chosen before it (see
  // adoption_safety_test.cc), so AcceptSync is never cut to a batch.
  Config c = make_config(1, {1, 2, 3});
  c.batch_entries_max = 2;
  c.batch_bytes_max = 1;
  auto l = sp_node(c, stored(entries({"a", "b", "c"}), ballot(0, 1), 0, {}));
  l->sp->handle_leader(kB);
  l->out();
  l->deliver(msg(2, 1, Promise{kB, {}, idx(0), idx(0), idx(0), {}}));
  auto out = l->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"AcceptSync"});
  auto s = only<AcceptSync>(out, 2);
  EXPECT_EQ(s.sync_idx, idx(0));
  EXPECT_EQ(s.suffix, entries({"a", "b", "c"}));
  l->sp->append("d");
  EXPECT_EQ(only<AcceptDecide>(l->out(), 2).start_idx, idx(3)) << "streaming resumes after it";
}

TEST(SpLeader, PipeliningStopsAtTheUnacknowledgedWindowUntilAccepted) {
  Config c = make_config(1, {1, 2});
  c.batch_entries_max = 1;
  c.pipeline_entries_max = 2;
  auto l = accepting_leader(c);
  for (const char* e : {"a", "b", "c", "d"}) l->sp->append(e);
  EXPECT_EQ(count_of<AcceptDecide>(l->out()), 2u);
  l->deliver(accepted(2, 1));
  auto out = l->out();
  ASSERT_EQ(count_of<AcceptDecide>(out), 1u);
  EXPECT_EQ(only<AcceptDecide>(out, 2).start_idx, idx(2));
}

TEST(SpLeader, TheLeaderResendsPrepareToSilentPeersAfterTheResendTimeout) {
  Config c = make_config(1, {1, 2, 3, 4, 5});
  auto l = sp_node(c);
  l->sp->handle_leader(kB);
  EXPECT_EQ(count_of<Prepare>(l->out()), 4u);
  l->deliver(msg(2, 1, Promise{kB, {}, idx(0), idx(0), idx(0), {}}));
  l->ticks(int(c.resend_timeout_ticks) - 1);
  EXPECT_TRUE(l->out().empty());
  l->ticks(1);
  auto out = l->out();
  ASSERT_EQ(names(out), (std::vector<std::string>{"Prepare", "Prepare", "Prepare"}));
  EXPECT_EQ(out[0].to, id(3));
  EXPECT_EQ(out[1].to, id(4));
  EXPECT_EQ(out[2].to, id(5));
  // Once in the accept phase it still prepares the peers that never promised.
  l->deliver(msg(3, 1, Promise{kB, {}, idx(0), idx(0), idx(0), {}}));
  ASSERT_EQ(l->sp->phase(), Phase::kAccept);
  l->out();
  l->ticks(int(c.resend_timeout_ticks));
  out = l->out();
  EXPECT_EQ(count_of<Prepare>(out), 2u);
  EXPECT_EQ(only<Prepare>(out, 4).ballot, kB);
  EXPECT_EQ(only<Prepare>(out, 5).ballot, kB);
}

TEST(SpLeader, TheLeaderSendsAKeepAliveDecideToIdleFollowers) {
  Config c = make_config(1, {1, 2, 3});
  auto l = accepting_leader(c);
  l->ticks(int(c.resend_timeout_ticks) - 1);
  EXPECT_TRUE(l->out().empty());
  l->ticks(1);
  auto out = l->out();
  ASSERT_EQ(names(out), (std::vector<std::string>{"Decide", "Decide"}));
  EXPECT_EQ(only<Decide>(out, 2).seq, 2u) << "the next number of the session";
  EXPECT_EQ(only<Decide>(out, 2).ballot, kB);
  EXPECT_TRUE(l->out().empty()) << "idle time restarts after sending";
}

TEST(SpLeader, ReconnectingAPeerMakesTheLeaderPrepareIt) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->sp->reconnected(id(3));
  auto out = l->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"Prepare"});
  EXPECT_EQ(out[0].to, id(3));
  EXPECT_EQ(std::get<Prepare>(out[0].payload).ballot, kB);
  l->sp->reconnected(id(9));  // not a member
  EXPECT_TRUE(l->out().empty());
}

TEST(SpLeader, APrepareReqIsAnsweredWithPrepareAndThePromiseWithAFreshAcceptSync) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->sp->append("a");
  l->out();
  l->deliver(msg(2, 1, PrepareReq{kB}));
  auto p = only<Prepare>(l->out(), 2);
  EXPECT_EQ(p.accepted_round, kB);
  EXPECT_EQ(p.accepted_idx, idx(1));
  l->deliver(msg(2, 1, Promise{kB, kB, idx(1), idx(0), idx(1), {}}));
  auto s = only<AcceptSync>(l->out(), 2);
  EXPECT_EQ(s.sync_idx, idx(1)) << "it already holds our log up to its accepted index";
  EXPECT_TRUE(s.suffix.empty());
  EXPECT_EQ(s.seq, 3u) << "AcceptSync 1, AcceptDecide 2";
}

ProposalForward forward(Ballot b, std::uint64_t session, std::uint64_t seq,
                        std::vector<Entry> e) {
  ProposalForward f;
  f.ballot = b;
  f.session = session;
  f.seq = seq;
  f.entries = std::move(e);
  return f;
}

TEST(SpLeader, AProposalForwardOfTheCurrentSessionIsAppendedOnce) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->deliver(msg(2, 1, forward(kB, 1, 1, entries({"f1", "f2"}))));
  EXPECT_EQ(l->storage.entries(), entries({"f1", "f2"}));
  EXPECT_EQ(count_of<AcceptDecide>(l->out()), 2u);
  l->deliver(msg(2, 1, forward(kB, 1, 1, entries({"f1", "f2"}))));  // duplicated on the wire
  EXPECT_EQ(l->storage.entries(), entries({"f1", "f2"}));
  l->deliver(msg(2, 1, forward(kB, 1, 2, entries({"f3"}))));
  l->deliver(msg(3, 1, forward(kB, 1, 1, entries({"g1"}))));  // numbered per follower
  EXPECT_EQ(l->storage.entries(), entries({"f1", "f2", "f3", "g1"}));
  l->deliver(msg(2, 1, forward(kB, 3, 1, entries({"f4"}))));  // a later session
  l->deliver(msg(2, 1, forward(kB, 1, 3, entries({"old"}))));  // the earlier session, stale
  EXPECT_EQ(l->storage.entries(), entries({"f1", "f2", "f3", "g1", "f4"}));
}

TEST(SpLeader, AProposalForwardForAnotherBallotOrToANonLeaderIsDropped) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->deliver(msg(2, 1, forward(ballot(0, 3), 1, 1, entries({"stale"}))));
  EXPECT_TRUE(l->storage.entries().empty());
  auto f = sp_node(make_config(2, {1, 2, 3}));
  f->deliver(msg(3, 2, forward(kB, 1, 1, entries({"x"}))));
  EXPECT_EQ(f->sp->buffered_proposals(), 0u);
  EXPECT_TRUE(f->storage.entries().empty());
}

TEST(SpLeader, ADuplicatePromiseFromASyncedFollowerDoesNotRestartItsSession) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->deliver(msg(2, 1, Promise{kB, {}, idx(0), idx(0), idx(0), {}}));
  EXPECT_TRUE(l->out().empty());
}

TEST(SpLeader, AHigherNotAcceptedMakesTheLeaderStepDown) {
  auto l = accepting_leader(make_config(1, {1, 2, 3}));
  l->deliver(msg(2, 1, NotAccepted{ballot(0, 3)}));  // lower: ignored
  EXPECT_EQ(l->sp->role(), Role::kLeader);
  l->deliver(msg(2, 1, NotAccepted{ballot(4, 3)}));
  EXPECT_EQ(l->sp->role(), Role::kFollower);
  EXPECT_EQ(l->sp->leader(), id(3));
  EXPECT_EQ(l->sp->append("x"), ProposeResult::kAccepted);
  EXPECT_EQ(l->sp->buffered_proposals(), 1u) << "no longer appends proposals itself";
  EXPECT_EQ(l->storage.entries().size(), 0u);
}

TEST(SpLeader, ASingleNodeLeaderDecidesOnceItsLogIsDurable) {
  auto l = sp_node(make_config(4, {4}));
  l->sp->append("early");
  l->sp->handle_leader(ballot(1, 4));
  EXPECT_EQ(l->sp->phase(), Phase::kAccept);
  EXPECT_EQ(l->sp->decided_idx(), idx(0));
  EXPECT_TRUE(l->out().empty());  // reports the sync first
  EXPECT_EQ(l->sp->decided_idx(), idx(1));
  l->sp->append("late");
  EXPECT_EQ(l->sp->decided_idx(), idx(1));
  EXPECT_TRUE(l->out().empty());
  EXPECT_EQ(l->sp->decided_idx(), idx(2));
}

}  // namespace
}  // namespace paxoskv::paxos
