// Ballot Leader Election, driven directly: ticks and heartbeat replies in, outbox and the
// leader()/happy() view out (OmniPaxos paper §4, the "happy" variant).
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "paxos/ballot_leader_election.h"
#include "test_helpers.h"

namespace paxoskv::paxos {
namespace {

using namespace testing;
using Leading = BallotLeaderElection::Leading;

constexpr std::uint32_t kRoundTicks = 4;

BallotLeaderElection make_ble(std::uint64_t self, std::vector<std::uint64_t> peers,
                              Ballot initial = {}, std::uint64_t priority = 0,
                              std::optional<Quorum> quorum = std::nullopt) {
  std::vector<NodeId> p;
  for (auto n : peers) p.push_back(NodeId(n));
  Quorum q = quorum ? *quorum : Quorum::majority(peers.size() + 1);
  return BallotLeaderElection(NodeId(self), p, kConfig, priority, q, kRoundTicks, initial);
}

std::vector<Message> drain(BallotLeaderElection& ble) {
  std::vector<Message> out;
  ble.take_outgoing(out);
  return out;
}

// Ticks to the end of the current round; returns what that round elected.
std::optional<Ballot> end_round(BallotLeaderElection& ble, Leading leading = Leading::kNo) {
  std::optional<Ballot> elected;
  for (std::uint32_t i = 0; i < kRoundTicks; ++i) {
    auto e = ble.tick(leading);
    if (e) {
      EXPECT_EQ(i, kRoundTicks - 1) << "elected before the round ended";
      elected = e;
    }
  }
  return elected;
}

HeartbeatReply reply(std::uint32_t round, Ballot own, Ballot leader, bool happy) {
  return HeartbeatReply{round, own, leader, happy};
}

TEST(Ble, SendsAHeartbeatRequestToEveryPeerEachRound) {
  auto ble = make_ble(1, {2, 3});
  auto out = drain(ble);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].to, id(2));
  EXPECT_EQ(out[1].to, id(3));
  for (const Message& m : out) {
    EXPECT_EQ(m.from, id(1));
    EXPECT_EQ(m.config_id, kConfig);
    EXPECT_EQ(std::get<HeartbeatRequest>(m.payload).round, 1u);
  }
  for (std::uint32_t i = 0; i + 1 < kRoundTicks; ++i) ble.tick(Leading::kNo);
  EXPECT_TRUE(drain(ble).empty()) << "no request in the middle of a round";
  ble.tick(Leading::kNo);
  out = drain(ble);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<HeartbeatRequest>(out[0].payload).round, 2u);
  EXPECT_EQ(ble.round(), 2u);
}

TEST(Ble, ReplyCarriesOwnBallotBelievedLeaderAndHappiness) {
  auto ble = make_ble(1, {2, 3}, {}, /*priority=*/5);
  drain(ble);
  ble.handle_reply(id(2), reply(1, ballot(0, 2), {}, false));
  ASSERT_TRUE(end_round(ble).has_value());  // took over: ballot (1, 5, 1), happy
  drain(ble);
  ble.handle_request(id(3), HeartbeatRequest{17});
  auto out = drain(ble);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, id(3));
  auto r = std::get<HeartbeatReply>(out[0].payload);
  EXPECT_EQ(r.round, 17u) << "the reply names the request's round";
  EXPECT_EQ(r.ballot, ballot(1, 1, 5));
  EXPECT_EQ(r.ballot.priority, 5u);
  EXPECT_EQ(r.leader, ballot(1, 1, 5));
  EXPECT_TRUE(r.happy);
}

TEST(Ble, TakesOverWhenQuorumConnectedAndEveryReplierUnhappy) {
  auto ble = make_ble(1, {2, 3});
  ble.handle_reply(id(2), reply(1, ballot(0, 2), {}, false));
  auto elected = end_round(ble);
  ASSERT_TRUE(elected.has_value());
  EXPECT_EQ(*elected, ballot(1, 1));
  EXPECT_EQ(ble.leader(), ballot(1, 1));
  EXPECT_EQ(ble.current_ballot(), ballot(1, 1));
  EXPECT_TRUE(ble.happy()) << "a fresh candidate reports itself happy";
}

TEST(Ble, TakeoverIncrementsPastTheBelievedLeader) {
  auto ble = make_ble(1, {2, 3});
  ble.handle_reply(id(3), reply(1, ballot(6, 3), ballot(6, 3), false));
  // The first round only learns of leader (6, 3): it gets a round to show it is happy.
  auto learned = end_round(ble);
  ASSERT_TRUE(learned.has_value());
  EXPECT_EQ(*learned, ballot(6, 3));
  ble.handle_reply(id(3), reply(2, ballot(6, 3), ballot(6, 3), false));
  auto elected = end_round(ble);
  ASSERT_TRUE(elected.has_value());
  EXPECT_EQ(*elected, ballot(7, 1));
}

TEST(Ble, ALeaderFirstHeardOfThisRoundIsNotReplacedInTheSameRound) {
  auto ble = make_ble(1, {2, 3});
  // Node 2 reports a leader (5, 3) that we have never heard from; everybody is unhappy.
  ble.handle_reply(id(2), reply(1, ballot(0, 2), ballot(5, 3), false));
  auto learned = end_round(ble);
  ASSERT_TRUE(learned.has_value());
  EXPECT_EQ(*learned, ballot(5, 3));
  EXPECT_EQ(ble.leader(), ballot(5, 3)) << "no takeover in the round that learned the leader";
}

TEST(Ble, NoTakeoverWithoutAQuorumOfReplies) {
  auto ble = make_ble(1, {2, 3, 4, 5});
  ble.handle_reply(id(2), reply(1, ballot(0, 2), {}, false));
  EXPECT_FALSE(end_round(ble).has_value()) << "2 of 5 is not a quorum";
  EXPECT_TRUE(ble.leader().is_zero());
  EXPECT_FALSE(ble.happy());
}

TEST(Ble, ADuplicateReplyCountsOnce) {
  auto ble = make_ble(1, {2, 3, 4, 5});
  ble.handle_reply(id(2), reply(1, ballot(0, 2), {}, false));
  ble.handle_reply(id(2), reply(1, ballot(0, 2), {}, false));
  EXPECT_FALSE(end_round(ble).has_value());
}

TEST(Ble, RepliesFromNonPeersAreIgnored) {
  auto ble = make_ble(1, {2, 3});
  ble.handle_reply(id(9), reply(1, ballot(0, 9), {}, false));
  EXPECT_FALSE(end_round(ble).has_value());
}

TEST(Ble, LateRepliesOfAnEarlierRoundAreIgnored) {
  auto ble = make_ble(1, {2, 3});
  EXPECT_FALSE(end_round(ble).has_value());  // round 1: nobody answered
  ASSERT_EQ(ble.round(), 2u);
  ble.handle_reply(id(2), reply(1, ballot(0, 2), {}, false));  // answers round 1, too late
  ble.handle_reply(id(3), reply(1, ballot(9, 3), ballot(9, 3), true));
  EXPECT_FALSE(end_round(ble).has_value());
  EXPECT_TRUE(ble.leader().is_zero()) << "a late reply's leader must not be adopted";
}

TEST(Ble, NoTakeoverWhenAReplyingPeerIsHappy) {
  auto ble = make_ble(1, {2, 3});
  // Peer 2 is happy with leader 3, whose own reply did not arrive this round.
  ble.handle_reply(id(2), reply(1, ballot(0, 2), ballot(4, 3), true));
  auto elected = end_round(ble);
  ASSERT_TRUE(elected.has_value());
  EXPECT_EQ(*elected, ballot(4, 3)) << "adopts the largest leader it hears of";
  EXPECT_FALSE(ble.happy()) << "only the leader's own reply makes a follower happy";
  EXPECT_EQ(ble.current_ballot().n, 0u) << "did not compete";
}

TEST(Ble, AFollowerIsHappyWhenTheLeadersOwnReplySaysSo) {
  auto ble = make_ble(1, {2, 3});
  ble.handle_reply(id(3), reply(1, ballot(4, 3), ballot(4, 3), true));
  ASSERT_TRUE(end_round(ble).has_value());
  EXPECT_EQ(ble.leader(), ballot(4, 3));
  EXPECT_TRUE(ble.happy());
  // Next round the leader is silent and peer 2 is unhappy: node 1 is quorum-connected, takes over.
  ble.handle_reply(id(2), reply(2, ballot(0, 2), ballot(4, 3), false));
  auto elected = end_round(ble);
  ASSERT_TRUE(elected.has_value());
  EXPECT_EQ(*elected, ballot(5, 1));
}

TEST(Ble, TheLargestBallotAnyoneBelievesInLeads) {
  auto ble = make_ble(1, {2, 3, 4, 5});
  ble.handle_reply(id(2), reply(1, ballot(0, 2), ballot(2, 4), false));
  ble.handle_reply(id(3), reply(1, ballot(0, 3), ballot(3, 2), false));
  ble.handle_reply(id(4), reply(1, ballot(2, 4), ballot(2, 4), false));
  ble.handle_reply(id(5), reply(1, ballot(3, 5), ballot(3, 5), true));
  auto elected = end_round(ble);
  ASSERT_TRUE(elected.has_value());
  EXPECT_EQ(*elected, ballot(3, 5)) << "same n: the larger pid wins";
  EXPECT_TRUE(ble.happy());
}

TEST(Ble, AnAcceptingLeaderStaysHappyWithAQuorumAndTurnsUnhappyWithout) {
  auto ble = make_ble(1, {2, 3});
  ble.handle_reply(id(2), reply(1, ballot(0, 2), {}, false));
  ASSERT_TRUE(end_round(ble).has_value());
  ble.handle_reply(id(3), reply(2, ballot(0, 3), ballot(1, 1), true));
  EXPECT_FALSE(end_round(ble, Leading::kAccepting).has_value()) << "leader unchanged";
  EXPECT_TRUE(ble.happy());
  EXPECT_FALSE(end_round(ble, Leading::kAccepting).has_value()) << "alone: no takeover";
  EXPECT_FALSE(ble.happy()) << "no reply this round: not a quorum";
}

TEST(Ble, ALeaderThatSequencePaxosDoesNotLeadWithIsUnhappyAndTakesOverAgain) {
  auto ble = make_ble(1, {2, 3});
  ble.handle_reply(id(2), reply(1, ballot(0, 2), {}, false));
  ASSERT_TRUE(end_round(ble).has_value());
  ble.handle_reply(id(2), reply(2, ballot(0, 2), ballot(1, 1), false));
  auto elected = end_round(ble, Leading::kNo);
  ASSERT_TRUE(elected.has_value());
  EXPECT_EQ(*elected, ballot(2, 1));
}

TEST(Ble, FlexibleQuorumsJudgeAPreparingLeaderByReadAndAnAcceptingOneByWrite) {
  auto q = Quorum::flexible(5, 4, 2);
  ASSERT_TRUE(q.has_value());
  auto ble = make_ble(1, {2, 3, 4, 5}, {}, 0, q);
  for (std::uint64_t p : {2, 3, 4}) ble.handle_reply(id(p), reply(1, ballot(0, p), {}, false));
  ASSERT_TRUE(end_round(ble).has_value());  // 4 connected: a read quorum
  ble.handle_reply(id(2), reply(2, ballot(0, 2), ballot(1, 1), true));
  end_round(ble, Leading::kAccepting);
  EXPECT_TRUE(ble.happy()) << "2 nodes form a write quorum";
  ble.handle_reply(id(2), reply(3, ballot(0, 2), ballot(1, 1), true));
  end_round(ble, Leading::kPreparing);
  EXPECT_FALSE(ble.happy()) << "2 nodes are not a read quorum";
}

TEST(Ble, ASingleNodeClusterElectsItselfAfterOneRound) {
  auto ble = make_ble(7, {});
  EXPECT_TRUE(drain(ble).empty());
  auto elected = end_round(ble);
  ASSERT_TRUE(elected.has_value());
  EXPECT_EQ(*elected, ballot(1, 7));
  EXPECT_TRUE(drain(ble).empty());
}

TEST(Ble, AnInitialLeaderFromStorageKeepsTheBallotNumberFromGoingBackwards) {
  auto ble = make_ble(1, {2, 3}, ballot(7, 2));
  EXPECT_EQ(ble.leader(), ballot(7, 2));
  EXPECT_GE(ble.current_ballot().n, 7u);
  ble.handle_reply(id(3), reply(1, ballot(0, 3), {}, false));
  auto elected = end_round(ble);
  ASSERT_TRUE(elected.has_value());
  EXPECT_EQ(*elected, ballot(8, 1));
  EXPECT_GT(*elected, ballot(7, 2));
}

TEST(Ble, AnInitialLeaderFromStorageRaisesForcedTakeoverToo) {
  auto ble = make_ble(1, {2, 3}, ballot(3, 1));
  EXPECT_EQ(ble.force_takeover(), ballot(4, 1));
}

TEST(Ble, ObservingAHigherBallotMakesItTheLeaderButNotHappy) {
  auto ble = make_ble(1, {2, 3});
  auto seen = ble.observe_ballot(ballot(3, 2));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(*seen, ballot(3, 2));
  EXPECT_FALSE(ble.happy());
  EXPECT_FALSE(ble.observe_ballot(ballot(2, 3)).has_value()) << "a lower ballot changes nothing";
  EXPECT_FALSE(ble.observe_ballot(ballot(3, 2)).has_value());
  EXPECT_EQ(ble.force_takeover(), ballot(4, 1));
}

}  // namespace
}  // namespace paxoskv::paxos
