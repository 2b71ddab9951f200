// The OmniPaxos facade: message filtering, leader election driving Sequence Paxos, arbitrary
// node ids, and the single-node cluster.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "test_helpers.h"

namespace paxoskv::paxos {
namespace {

using namespace testing;

// A handful of OmniPaxos nodes with a perfect, synchronous network driven by hand.
class Cluster {
 public:
  explicit Cluster(std::initializer_list<std::uint64_t> ids) {
    for (auto self : ids) {
      Config c = make_config(self, ids);
      nodes_[self] = std::make_unique<OpNode>(c);
    }
  }
  OpNode& at(std::uint64_t self) { return *nodes_.at(self); }
  // Delivers messages until every outbox is empty.
  void route() {
    for (bool any = true; any;) {
      any = false;
      for (auto& [self, n] : nodes_) {
        for (const Message& m : n->out()) {
          any = true;
          nodes_.at(m.to.value())->px.handle(m);
        }
      }
    }
  }
  void tick_all() {
    for (auto& [self, n] : nodes_) n->px.tick();
    route();
  }
  std::vector<std::uint64_t> leaders() {
    std::vector<std::uint64_t> l;
    for (auto& [self, n] : nodes_) {
      if (n->px.is_leader()) l.push_back(self);
    }
    return l;
  }

 private:
  std::map<std::uint64_t, std::unique_ptr<OpNode>> nodes_;
};

TEST(OmniPaxos, MessagesOfAnotherConfigurationAreDropped) {
  OpNode n(make_config(1, {1, 2, 3}));
  n.out();
  n.px.handle(msg(2, 1, HeartbeatRequest{1}, ConfigId(2)));
  n.px.handle(msg(2, 1, Prepare{ballot(5, 2), idx(0), {}, idx(0)}, ConfigId(2)));
  EXPECT_TRUE(n.out().empty());
  EXPECT_EQ(n.px.status().dropped_messages, 2u);
  EXPECT_TRUE(n.px.status().promise.is_zero());
}

TEST(OmniPaxos, MessagesFromUnknownNodesOrForOthersAreDropped) {
  OpNode n(make_config(1, {1, 2, 3}));
  n.out();
  n.px.handle(msg(9, 1, HeartbeatRequest{1}));                             // not a member
  n.px.handle(msg(1, 1, HeartbeatRequest{1}));                             // from itself
  n.px.handle(msg(2, 3, HeartbeatRequest{1}));                             // for node 3
  n.px.handle(msg(9, 1, Prepare{ballot(5, 9), idx(0), {}, idx(0)}));       // not a member
  EXPECT_TRUE(n.out().empty());
  EXPECT_EQ(n.px.status().dropped_messages, 4u);
  n.px.handle(msg(2, 1, HeartbeatRequest{1}));
  EXPECT_EQ(names(n.out()), std::vector<std::string>{"HeartbeatReply"});
  EXPECT_EQ(n.px.status().dropped_messages, 4u);
}

TEST(OmniPaxos, AStartingNodeSendsHeartbeatsAndPrepareReqsToEveryPeer) {
  OpNode n(make_config(42, {7, 42, 1000}));
  auto out = n.out();
  EXPECT_EQ(count_of<HeartbeatRequest>(out), 2u);
  EXPECT_EQ(count_of<PrepareReq>(out), 2u);
  for (const Message& m : out) {
    EXPECT_EQ(m.from, id(42));
    EXPECT_TRUE(m.to == id(7) || m.to == id(1000));
  }
}

TEST(OmniPaxos, ElectionWinnerStartsThePrepareWithItsBallot) {
  OpNode n(make_config(1, {1, 2, 3}));
  n.out();
  n.px.handle(msg(2, 1, HeartbeatReply{1, ballot(0, 2), {}, false}));
  for (std::uint32_t i = 0; i < 4; ++i) n.px.tick();
  EXPECT_TRUE(n.px.is_leader());
  auto out = n.out();
  EXPECT_EQ(only<Prepare>(out, 2).ballot, ballot(1, 1));
  EXPECT_EQ(only<Prepare>(out, 3).ballot, ballot(1, 1));
  EXPECT_EQ(n.px.status().elected, ballot(1, 1));
  EXPECT_EQ(n.px.status().leader, id(1));
}

TEST(OmniPaxos, AFollowerLearnsTheLeaderFromAPrepare) {
  OpNode n(make_config(2, {1, 2, 3}));
  n.out();
  n.px.handle(msg(3, 2, Prepare{ballot(4, 3), idx(0), {}, idx(0)}));
  EXPECT_EQ(n.px.status().elected, ballot(4, 3));
  EXPECT_EQ(n.px.status().leader, id(3));
  EXPECT_EQ(n.storage.promise(), ballot(4, 3));
}

TEST(OmniPaxos, TryBecomeLeaderPreparesAboveEveryBallotSeen) {
  OpNode n(make_config(2, {1, 2, 3}));
  n.out();
  n.px.handle(msg(3, 2, Prepare{ballot(4, 3), idx(0), {}, idx(0)}));
  n.out();
  n.px.try_become_leader();
  EXPECT_TRUE(n.px.is_leader());
  EXPECT_EQ(only<Prepare>(n.out(), 1).ballot, ballot(5, 2));
}

TEST(OmniPaxos, ReconnectedOnALeaderSendsPrepareToThatPeer) {
  OpNode n(make_config(1, {1, 2, 3}));
  n.px.try_become_leader();
  n.out();
  n.px.reconnected(id(2));
  auto out = n.out();
  ASSERT_EQ(names(out), std::vector<std::string>{"Prepare"});
  EXPECT_EQ(out[0].to, id(2));
}

TEST(OmniPaxos, ArbitraryNodeIdsElectOneLeaderAndDecide) {
  Cluster c({7, 42, 1000});
  for (int i = 0; i < 40 && c.leaders().empty(); ++i) c.tick_all();
  ASSERT_EQ(c.leaders().size(), 1u);
  const std::uint64_t leader = c.leaders()[0];
  EXPECT_EQ(leader, 1000u) << "equal n and priority: the largest id wins the first round";
  for (int i = 0; i < 5; ++i) c.tick_all();
  ASSERT_EQ(c.at(leader).px.status().phase, Phase::kAccept);
  EXPECT_EQ(c.at(7).px.append("from-7"), ProposeResult::kAccepted);
  EXPECT_EQ(c.at(leader).px.append("from-leader"), ProposeResult::kAccepted);
  c.route();
  for (int i = 0; i < 5; ++i) c.tick_all();
  for (std::uint64_t self : {7, 42, 1000}) {
    std::vector<Entry> decided;
    c.at(self).px.read_decided(idx(0), decided);
    EXPECT_EQ(decided.size(), 2u) << "node " << self;
    EXPECT_EQ(c.at(self).px.status().leader, id(leader)) << "node " << self;
  }
  std::vector<Entry> a, b;
  c.at(7).px.read_decided(idx(0), a);
  c.at(42).px.read_decided(idx(0), b);
  EXPECT_EQ(a, b);
}

TEST(OmniPaxos, ASingleNodeClusterDecidesItsProposalsAfterItsFirstElectionRound) {
  Config cfg = make_config(5, {5});
  OpNode n(cfg);
  EXPECT_TRUE(n.out().empty());
  EXPECT_EQ(n.px.append("a"), ProposeResult::kAccepted);
  for (std::uint32_t i = 0; i + 1 < cfg.election_timeout_ticks; ++i) n.px.tick();
  EXPECT_EQ(n.px.decided_idx(), idx(0)) << "no leader before the round ends";
  n.px.tick();
  EXPECT_TRUE(n.px.is_leader());
  EXPECT_TRUE(n.out().empty());  // the driver's sync makes the log count
  EXPECT_EQ(n.px.decided_idx(), idx(1));
  n.px.append("b");
  EXPECT_TRUE(n.out().empty());
  std::vector<Entry> decided;
  n.px.read_decided(idx(0), decided);
  EXPECT_EQ(decided, entries({"a", "b"}));
  decided.clear();
  n.px.read_decided(idx(1), decided);
  EXPECT_EQ(decided, entries({"b"}));
  EXPECT_TRUE(n.out().empty());
  for (int i = 0; i < 50; ++i) n.px.tick();
  EXPECT_TRUE(n.px.is_leader()) << "a lone leader stays leader";
  EXPECT_EQ(n.storage.promise(), ballot(1, 5));
}

TEST(OmniPaxos, AfterARestartTheNodeNeverElectsABallotBelowItsPromise) {
  MemoryStorage s;
  s.set_promise(ballot(9, 3));
  OpNode n(make_config(1, {1, 2, 3}), s);
  n.out();
  EXPECT_EQ(n.px.status().elected, ballot(9, 3));
  n.px.try_become_leader();
  EXPECT_EQ(only<Prepare>(n.out(), 2).ballot, ballot(10, 1));
}

}  // namespace
}  // namespace paxoskv::paxos
