// Ballot Leader Election's fast path: a lost connection to the leader makes the node unhappy at
// once and starts an early round that ends as soon as every connected peer has replied; the
// takeover rules themselves are unchanged (see ballot_leader_election.h).
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

BallotLeaderElection make_ble(std::uint64_t self, std::vector<std::uint64_t> peers) {
  std::vector<NodeId> p;
  for (auto n : peers) p.push_back(NodeId(n));
  return BallotLeaderElection(NodeId(self), p, kConfig, 0, Quorum::majority(peers.size() + 1),
                              kRoundTicks, Ballot{});
}

std::vector<Message> drain(BallotLeaderElection& ble) {
  std::vector<Message> out;
  ble.take_outgoing(out);
  return out;
}

std::optional<Ballot> end_round(BallotLeaderElection& ble) {
  std::optional<Ballot> elected;
  for (std::uint32_t i = 0; i < kRoundTicks; ++i) {
    if (auto e = ble.tick(Leading::kNo)) elected = e;
  }
  return elected;
}

HeartbeatReply reply(std::uint32_t round, Ballot own, Ballot leader, bool happy) {
  return HeartbeatReply{round, own, leader, happy};
}

// A follower `self` that is happy with leader (5, leader): it got the leader's happy reply and
// every other peer's (happy too) in round 1.
BallotLeaderElection happy_follower(std::uint64_t self, std::vector<std::uint64_t> peers,
                                    std::uint64_t leader) {
  auto ble = make_ble(self, peers);
  for (std::uint64_t p : peers) {
    const Ballot own = p == leader ? ballot(5, leader) : ballot(0, p);
    ble.handle_reply(id(p), reply(1, own, ballot(5, leader), true));
  }
  EXPECT_EQ(end_round(ble), ballot(5, leader));
  EXPECT_TRUE(ble.happy());
  drain(ble);
  return ble;
}

TEST(BleDisconnect, LosingTheLeaderMakesTheNodeUnhappyAndAsksEveryPeerAtOnce) {
  auto ble = happy_follower(1, {2, 3}, 3);
  const std::uint32_t round = ble.round();
  ble.disconnected(id(3));
  EXPECT_FALSE(ble.happy()) << "our replies must not vouch for a leader we lost";
  EXPECT_EQ(ble.round(), round + 1) << "a new round, without waiting for a tick";
  EXPECT_TRUE(ble.early_round());
  auto out = drain(ble);
  ASSERT_EQ(out.size(), 2u);
  for (const Message& m : out) {
    EXPECT_EQ(std::get<HeartbeatRequest>(m.payload).round, round + 1);
  }
  ble.handle_request(id(2), HeartbeatRequest{77});
  EXPECT_FALSE(std::get<HeartbeatReply>(drain(ble).at(0).payload).happy);
}

TEST(BleDisconnect, TheEarlyRoundTakesOverOnceEveryConnectedPeerIsUnhappy) {
  auto ble = happy_follower(1, {2, 3}, 3);
  ble.disconnected(id(3));
  EXPECT_FALSE(ble.end_early_round(Leading::kNo).has_value()) << "node 2 has not replied yet";
  ble.handle_reply(id(2), reply(ble.round(), ballot(0, 2), ballot(5, 3), false));
  auto elected = ble.end_early_round(Leading::kNo);
  ASSERT_TRUE(elected.has_value());
  EXPECT_EQ(*elected, ballot(6, 1));
  EXPECT_FALSE(ble.early_round()) << "the next round is a regular one";
}

TEST(BleDisconnect, APeerThatStillSeesAHappyLeaderPreventsTheTakeover) {
  auto ble = happy_follower(1, {2, 3}, 3);
  ble.disconnected(id(3));
  const std::uint32_t round = ble.round();
  ble.handle_reply(id(2), reply(round, ballot(0, 2), ballot(5, 3), true));
  EXPECT_FALSE(ble.end_early_round(Leading::kNo).has_value());
  EXPECT_EQ(ble.round(), round + 1) << "the early round ended";
  EXPECT_EQ(ble.leader(), ballot(5, 3));
  EXPECT_EQ(ble.current_ballot().n, 0u) << "did not compete";
  EXPECT_FALSE(ble.happy());
  // The regular round that follows does not end early, whoever replies.
  ble.handle_reply(id(2), reply(round + 1, ballot(0, 2), ballot(5, 3), false));
  ble.handle_reply(id(3), reply(round + 1, ballot(5, 3), ballot(5, 3), false));
  EXPECT_FALSE(ble.end_early_round(Leading::kNo).has_value());
  EXPECT_EQ(ble.round(), round + 1);
}

TEST(BleDisconnect, TheEarlyRoundWaitsForEveryConnectedPeerOnly) {
  auto ble = happy_follower(1, {2, 3, 4, 5}, 5);
  ble.disconnected(id(4));
  EXPECT_FALSE(ble.early_round()) << "losing a follower is no reason to hurry";
  ble.disconnected(id(5));
  const std::uint32_t round = ble.round();
  ble.handle_reply(id(2), reply(round, ballot(0, 2), ballot(5, 5), false));
  EXPECT_FALSE(ble.end_early_round(Leading::kNo).has_value()) << "node 3 is connected";
  ble.handle_reply(id(3), reply(round, ballot(0, 3), ballot(5, 5), false));
  auto elected = ble.end_early_round(Leading::kNo);
  ASSERT_TRUE(elected.has_value()) << "nodes 1, 2 and 3 are a quorum of 5";
  EXPECT_EQ(*elected, ballot(6, 1));
}

TEST(BleDisconnect, AReconnectedPeerIsWaitedForAgain) {
  auto ble = happy_follower(1, {2, 3, 4, 5}, 5);
  ble.disconnected(id(4));
  ble.connected(id(4));
  ble.disconnected(id(5));
  const std::uint32_t round = ble.round();
  ble.handle_reply(id(2), reply(round, ballot(0, 2), ballot(5, 5), false));
  ble.handle_reply(id(3), reply(round, ballot(0, 3), ballot(5, 5), false));
  EXPECT_FALSE(ble.end_early_round(Leading::kNo).has_value()) << "node 4 is back";
  ble.handle_reply(id(4), reply(round, ballot(0, 4), ballot(5, 5), false));
  EXPECT_TRUE(ble.end_early_round(Leading::kNo).has_value());
}

TEST(BleDisconnect, AloneTheEarlyRoundEndsAtOnceWithoutATakeover) {
  auto ble = happy_follower(1, {2, 3}, 3);
  ble.disconnected(id(2));
  ble.disconnected(id(3));
  const std::uint32_t round = ble.round();
  EXPECT_FALSE(ble.end_early_round(Leading::kNo).has_value()) << "one node is not a quorum";
  EXPECT_EQ(ble.round(), round + 1);
  EXPECT_EQ(ble.leader(), ballot(5, 3));
  EXPECT_FALSE(ble.happy());
}

TEST(BleDisconnect, ALeaderLosingAFollowerCarriesOn) {
  auto ble = make_ble(1, {2, 3});
  ble.handle_reply(id(2), reply(1, ballot(0, 2), {}, false));
  ASSERT_EQ(end_round(ble), ballot(1, 1));
  const std::uint32_t round = ble.round();
  ble.disconnected(id(2));
  EXPECT_FALSE(ble.early_round());
  EXPECT_EQ(ble.round(), round);
  EXPECT_TRUE(ble.happy());
}

TEST(BleDisconnect, UnknownPeersAreIgnored) {
  auto ble = happy_follower(1, {2, 3}, 3);
  const std::uint32_t round = ble.round();
  ble.disconnected(id(9));
  ble.connected(id(9));
  EXPECT_EQ(ble.round(), round);
  EXPECT_TRUE(ble.happy());
}

// Through the facade: the takeover starts Sequence Paxos's prepare phase at once, with no tick.
TEST(BleDisconnect, OmniPaxosPreparesAsSoonAsTheEarlyRoundElectsIt) {
  OpNode n(make_config(1, {1, 2, 3}));
  n.out();
  n.px.handle(msg(3, 1, Prepare{ballot(5, 3), idx(0), {}, idx(0)}));
  n.px.handle(msg(3, 1, HeartbeatReply{1, ballot(5, 3), ballot(5, 3), true}));
  for (std::uint32_t i = 0; i < 4; ++i) n.px.tick();
  ASSERT_TRUE(n.px.status().happy);
  n.out();
  n.px.disconnected(id(3));
  const auto request = only<HeartbeatRequest>(n.out(), 2);
  EXPECT_FALSE(n.px.is_leader());
  n.px.handle(msg(2, 1, HeartbeatReply{request.round, ballot(0, 2), ballot(5, 3), false}));
  EXPECT_TRUE(n.px.is_leader());
  EXPECT_EQ(only<Prepare>(n.out(), 2).ballot, ballot(6, 1));
}

}  // namespace
}  // namespace paxoskv::paxos
