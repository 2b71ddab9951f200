// Sequence Paxos, accept phase on the follower (paper §5.2): AcceptSync, AcceptDecide, Decide,
// sequence numbers, and proposals made at a follower.
#include <gtest/gtest.h>

#include "test_helpers.h"

namespace paxoskv::paxos {
namespace {

using namespace testing;

const Ballot kOld = ballot(1, 3);
const Ballot kB = ballot(2, 1);  // the current leader's ballot; node 1 leads

class SpFollower : public ::testing::Test {
 protected:
  // Follower 2 of {1,2,3}, holding [a b c] accepted in an older round, decided 1, promised kB.
  void SetUp() override {
    f_ = sp_node(make_config(2, {1, 2, 3}), stored(entries({"a", "b", "c"}), kOld, 1, kOld));
    f_->deliver(msg(1, 2, Prepare{kB, idx(1), kOld, idx(1)}));
    ASSERT_EQ(count_of<Promise>(f_->out()), 1u);
  }
  void sync(std::vector<Entry> suffix, std::uint64_t sync_idx = 1, std::uint64_t decided = 1,
            std::uint64_t seq = 1) {
    f_->deliver(msg(1, 2, AcceptSync{kB, seq, idx(decided), idx(sync_idx), std::move(suffix)}));
  }
  void accept(std::uint64_t seq, std::uint64_t start, std::vector<Entry> e,
              std::uint64_t decided = 1, Ballot b = kB) {
    f_->deliver(msg(1, 2, AcceptDecide{b, seq, idx(decided), idx(start), std::move(e)}));
  }
  void decide(std::uint64_t seq, std::uint64_t decided) {
    f_->deliver(msg(1, 2, Decide{kB, seq, idx(decided)}));
  }
  std::unique_ptr<SpNode> f_;
};

TEST_F(SpFollower, AcceptSyncTruncatesAtTheSyncIndexAndAppendsTheSuffix) {
  sync(entries({"x", "y", "z"}), /*sync_idx=*/1, /*decided=*/2);
  EXPECT_EQ(f_->storage.entries(), entries({"a", "x", "y", "z"}));
  EXPECT_EQ(f_->storage.accepted_round(), kB);
  EXPECT_EQ(f_->sp->phase(), Phase::kAccept);
  EXPECT_EQ(f_->sp->decided_idx(), idx(2));
  auto out = f_->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"Accepted"});
  EXPECT_EQ(out[0].to, id(1));
  EXPECT_EQ(std::get<Accepted>(out[0].payload).ballot, kB);
  EXPECT_EQ(std::get<Accepted>(out[0].payload).accepted_idx, idx(4));
}

TEST_F(SpFollower, AcceptSyncNeverDecidesPastTheFollowersLog) {
  sync({}, /*sync_idx=*/1, /*decided=*/9);
  EXPECT_EQ(f_->storage.entries(), entries({"a"}));
  EXPECT_EQ(f_->sp->decided_idx(), idx(1));
}

TEST_F(SpFollower, AcceptSyncBeyondTheLogAsksToBePreparedAgain) {
  sync(entries({"x"}), /*sync_idx=*/5);
  EXPECT_EQ(f_->storage.entries(), entries({"a", "b", "c"})) << "log untouched";
  EXPECT_NE(f_->sp->phase(), Phase::kAccept);
  EXPECT_EQ(only<PrepareReq>(f_->out(), 1).promise, kB);
}

TEST_F(SpFollower, AcceptDecideWithTheNextSequenceNumberAppendsAndIsAccepted) {
  sync({});
  f_->out();
  accept(2, 1, entries({"d", "e"}), /*decided=*/2);
  EXPECT_EQ(f_->storage.entries(), entries({"a", "d", "e"}));
  EXPECT_EQ(f_->sp->decided_idx(), idx(2));
  auto out = f_->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"Accepted"});
  EXPECT_EQ(std::get<Accepted>(out[0].payload).accepted_idx, idx(3));
  accept(3, 3, entries({"f"}));
  EXPECT_EQ(std::get<Accepted>(f_->out().at(0).payload).accepted_idx, idx(4));
}

TEST_F(SpFollower, AcceptDecideAppendsOnlyTheEntriesBeyondItsLog) {
  sync(entries({"x"}));
  f_->out();
  accept(2, 1, entries({"x", "y"}));  // overlaps one entry it already has
  EXPECT_EQ(f_->storage.entries(), entries({"a", "x", "y"}));
}

TEST_F(SpFollower, ASequenceGapTriggersPrepareReqAndNoAccepted) {
  sync({});
  f_->out();
  accept(3, 1, entries({"d"}));  // seq 2 was lost
  EXPECT_EQ(f_->storage.entries(), entries({"a"}));
  EXPECT_EQ(f_->sp->phase(), Phase::kRecover);
  auto out = f_->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"PrepareReq"});
  EXPECT_EQ(out[0].to, id(1));
  EXPECT_EQ(std::get<PrepareReq>(out[0].payload).promise, kB);
}

TEST_F(SpFollower, AnAcceptDecideStartingPastTheLogTriggersPrepareReq) {
  sync({});
  f_->out();
  accept(2, 3, entries({"d"}));
  EXPECT_EQ(f_->storage.entries(), entries({"a"}));
  EXPECT_EQ(names(f_->out()), std::vector<std::string>{"PrepareReq"});
}

TEST_F(SpFollower, AcceptDecideBeforeAnyAcceptSyncTriggersPrepareReq) {
  accept(1, 1, entries({"d"}));
  EXPECT_EQ(f_->storage.entries(), entries({"a", "b", "c"}));
  EXPECT_EQ(names(f_->out()), std::vector<std::string>{"PrepareReq"});
}

TEST_F(SpFollower, DuplicatesAreIgnored) {
  sync(entries({"x"}));
  f_->out();
  accept(2, 2, entries({"y"}));
  f_->out();
  accept(2, 2, entries({"y"}));                         // duplicate AcceptDecide
  sync(entries({"x"}));                                  // duplicate AcceptSync (seq 1)
  f_->deliver(msg(1, 2, Decide{kB, 2, idx(3)}));         // an old sequence number
  EXPECT_EQ(f_->storage.entries(), entries({"a", "x", "y"}));
  EXPECT_EQ(f_->sp->decided_idx(), idx(1));
  EXPECT_TRUE(f_->out().empty());
  EXPECT_EQ(f_->sp->phase(), Phase::kAccept);
}

TEST_F(SpFollower, DecideAdvancesTheDecidedIdxButNeverPastTheLogEnd) {
  sync(entries({"x", "y"}));
  f_->out();
  decide(2, 2);
  EXPECT_EQ(f_->sp->decided_idx(), idx(2));
  EXPECT_EQ(f_->storage.decided_idx(), idx(2));
  EXPECT_EQ(std::get<Accepted>(f_->out().at(0).payload).accepted_idx, idx(3))
      << "a Decide is answered, so a leader that lost an Accepted learns it again";
  decide(3, 7);
  EXPECT_EQ(f_->sp->decided_idx(), idx(3));
  decide(4, 1);
  EXPECT_EQ(f_->sp->decided_idx(), idx(3)) << "the decided index never goes backwards";
}

TEST_F(SpFollower, AStaleLeadersAcceptDecideIsAnsweredWithNotAccepted) {
  sync({});
  f_->out();
  f_->deliver(msg(3, 2, AcceptDecide{kOld, 7, idx(0), idx(1), entries({"q"})}));
  auto out = f_->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"NotAccepted"});
  EXPECT_EQ(out[0].to, id(3));
  EXPECT_EQ(std::get<NotAccepted>(out[0].payload).promise, kB);
  EXPECT_EQ(f_->storage.entries(), entries({"a"}));
}

TEST_F(SpFollower, ALaterAcceptSyncOfTheSameBallotExtendsTheAcceptedLog) {
  sync(entries({"x"}));
  accept(2, 2, entries({"y"}));
  f_->out();
  sync(entries({"y", "z"}), /*sync_idx=*/2, /*decided=*/1, /*seq=*/3);  // after a re-prepare
  EXPECT_EQ(f_->storage.entries(), entries({"a", "x", "y", "z"}));
  EXPECT_EQ(std::get<Accepted>(f_->out().at(0).payload).accepted_idx, idx(4));
}

TEST_F(SpFollower, ProposalsAreBufferedBeforeTheAcceptPhaseAndForwardedOnceInIt) {
  EXPECT_EQ(f_->sp->append("p1"), ProposeResult::kAccepted);
  EXPECT_EQ(f_->sp->buffered_proposals(), 1u);
  EXPECT_TRUE(f_->out().empty()) << "no leader in its accept phase yet: buffered";
  sync({});
  auto out = f_->out();
  EXPECT_EQ(names(out), (std::vector<std::string>{"Accepted", "ProposalForward"}));
  auto first = only<ProposalForward>(out, 1);
  EXPECT_EQ(first.entries, entries({"p1"}));
  EXPECT_EQ(first.ballot, kB);
  EXPECT_EQ(first.session, 1u) << "the AcceptSync's sequence number names the session";
  EXPECT_EQ(first.seq, 1u);
  EXPECT_EQ(f_->sp->buffered_proposals(), 0u);
  EXPECT_EQ(f_->sp->append("p2"), ProposeResult::kAccepted);
  EXPECT_EQ(f_->sp->append("p3"), ProposeResult::kAccepted);
  out = f_->out();
  ASSERT_EQ(names(out), std::vector<std::string>{"ProposalForward"});
  EXPECT_EQ(only<ProposalForward>(out, 1).entries, entries({"p2", "p3"}));
  EXPECT_EQ(only<ProposalForward>(out, 1).seq, 2u);
  // A new session (a later AcceptSync) numbers its forwards afresh.
  sync({}, 1, 1, /*seq=*/5);
  f_->sp->append("p4");
  auto again = only<ProposalForward>(f_->out(), 1);
  EXPECT_EQ(again.session, 5u);
  EXPECT_EQ(again.seq, 1u);
  EXPECT_EQ(f_->storage.entries(), entries({"a"})) << "a follower never appends its own proposal";
}

TEST(SpProposals, AppendReturnsBufferFullPastTheBufferLimit) {
  Config c = make_config(2, {1, 2, 3});
  c.proposal_buffer_entries_max = 2;
  auto f = sp_node(c);
  EXPECT_EQ(f->sp->append("1"), ProposeResult::kAccepted);
  EXPECT_EQ(f->sp->append("2"), ProposeResult::kAccepted);
  EXPECT_EQ(f->sp->append("3"), ProposeResult::kBufferFull);
  EXPECT_EQ(f->sp->buffered_proposals(), 2u);
}

TEST(SpProposals, AFollowerInTheAcceptPhaseRefusesPastTheForwardLimit) {
  Config c = make_config(2, {1, 2, 3});
  c.proposal_buffer_entries_max = 1;
  auto f = sp_node(c);
  f->deliver(msg(1, 2, Prepare{kB, idx(0), {}, idx(0)}));
  f->deliver(msg(1, 2, AcceptSync{kB, 1, idx(0), idx(0), {}}));
  f->out();
  EXPECT_EQ(f->sp->append("1"), ProposeResult::kAccepted);
  EXPECT_EQ(f->sp->append("2"), ProposeResult::kBufferFull);
  f->out();  // forwarded: room again
  EXPECT_EQ(f->sp->append("3"), ProposeResult::kAccepted);
}

TEST(SpRecovery, AStartingNodeAsksEveryPeerToPrepareIt) {
  SpNode n(make_config(5, {5, 6, 9}));
  n.start();
  auto out = n.out();
  ASSERT_EQ(names(out), (std::vector<std::string>{"PrepareReq", "PrepareReq"}));
  EXPECT_EQ(out[0].to, id(6));
  EXPECT_EQ(out[1].to, id(9));
  EXPECT_EQ(n.sp->phase(), Phase::kRecover);
}

TEST(SpRecovery, AFollowerWaitingToBePreparedRepeatsPrepareReqEveryResendTimeout) {
  Config c = make_config(2, {1, 2, 3});
  auto f = sp_node(c);  // recovering, its start-up PrepareReqs lost
  f->ticks(int(c.resend_timeout_ticks) - 1);
  EXPECT_TRUE(f->out().empty());
  f->ticks(1);
  EXPECT_EQ(names(f->out()), (std::vector<std::string>{"PrepareReq", "PrepareReq"}))
      << "no leader known: ask every peer";
  f->ticks(int(c.resend_timeout_ticks));
  EXPECT_EQ(count_of<PrepareReq>(f->out()), 2u);
}

TEST(SpRecovery, AFollowerThatHasPromisedWaitsForTheLeadersResends) {
  // After a promise the leader resends Prepare until it has it, and a lost AcceptSync shows up
  // as a sequence gap in the leader's next message: the follower need not ask.
  Config c = make_config(2, {1, 2, 3});
  auto f = sp_node(c);
  f->deliver(msg(1, 2, Prepare{kB, idx(0), {}, idx(0)}));
  f->out();
  f->ticks(int(c.resend_timeout_ticks) * 3);
  EXPECT_TRUE(f->out().empty());
  f->deliver(msg(1, 2, Decide{kB, 2, idx(0)}));  // the AcceptSync (seq 1) was lost
  EXPECT_EQ(names(f->out()), std::vector<std::string>{"PrepareReq"});
}

TEST(SpRecovery, ARepeatedPrepareInTheAcceptPhaseKeepsTheSession) {
  auto f = sp_node(make_config(2, {1, 2, 3}));
  f->deliver(msg(1, 2, Prepare{kB, idx(0), {}, idx(0)}));
  f->deliver(msg(1, 2, AcceptSync{kB, 1, idx(0), idx(0), entries({"a"})}));
  f->out();
  f->deliver(msg(1, 2, Prepare{kB, idx(0), kB, idx(1)}));
  auto p = only<Promise>(f->out(), 1);
  EXPECT_EQ(p.accepted_round, kB);
  EXPECT_EQ(p.accepted_idx, idx(1));
  EXPECT_EQ(f->sp->phase(), Phase::kAccept);
  f->deliver(msg(1, 2, AcceptDecide{kB, 2, idx(0), idx(1), entries({"b"})}));
  EXPECT_EQ(f->storage.entries(), entries({"a", "b"})) << "the stream continues";
}

TEST(SpRecovery, AFollowerInTheAcceptPhaseStaysQuietWhenIdle) {
  auto f = sp_node(make_config(2, {1, 2, 3}));
  f->deliver(msg(1, 2, Prepare{kB, idx(0), {}, idx(0)}));
  f->deliver(msg(1, 2, AcceptSync{kB, 1, idx(0), idx(0), {}}));
  f->out();
  f->ticks(20);
  EXPECT_TRUE(f->out().empty());
}

TEST(SpRecovery, ReconnectingToTheLeaderAsksItToPrepareAgain) {
  auto f = sp_node(make_config(2, {1, 2, 3}));
  f->deliver(msg(1, 2, Prepare{kB, idx(0), {}, idx(0)}));
  f->deliver(msg(1, 2, AcceptSync{kB, 1, idx(0), idx(0), {}}));
  f->out();
  f->sp->reconnected(id(3));
  EXPECT_TRUE(f->out().empty()) << "not the leader";
  f->sp->reconnected(id(1));
  EXPECT_EQ(names(f->out()), std::vector<std::string>{"PrepareReq"});
  EXPECT_EQ(f->sp->phase(), Phase::kRecover);
}

}  // namespace
}  // namespace paxoskv::paxos
