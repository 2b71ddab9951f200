// Safety of log adoption across three rounds (regression tests).
//
// Paper §5.1: a new leader adopts the log with the largest accepted round (then the longest),
// which is safe because a node that accepted round r holds the log the leader of r adopted, and
// that log contains every entry chosen before r. This holds only if AcceptSync carries the whole
// suffix: when it was cut to batch_entries_max, a follower could accept round r holding a prefix
// shorter than entries chosen earlier, and a later leader adopted that prefix (commit 10e3e9d,
// "fix unsafe chunked AcceptSync"). These tests drive five OmniPaxos nodes by hand (A=1 .. E=5)
// through that schedule, with C's batch limit at one entry.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "test_helpers.h"

namespace paxoskv::paxos {
namespace {

using namespace testing;

constexpr std::uint64_t A = 1, B = 2, C = 3, D = 4, E = 5;

class AdoptionSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::uint64_t self : {A, B, C, D, E}) {
      Config c = make_config(self, {A, B, C, D, E});
      if (self == C) c.batch_entries_max = 1;  // C's AcceptSync carries one entry at a time
      nodes_[self] = std::make_unique<OpNode>(c);
      nodes_[self]->out();
    }
  }
  OpNode& at(std::uint64_t n) { return *nodes_.at(n); }

  // Takes `from`'s whole outbox and delivers only the messages `keep` selects; the rest is lost.
  void send(std::uint64_t from, const std::function<bool(const Message&)>& keep) {
    for (const Message& m : at(from).out()) {
      if (keep(m)) at(m.to.value()).px.handle(m);
    }
  }
  static std::function<bool(const Message&)> to(std::initializer_list<std::uint64_t> dests) {
    std::vector<std::uint64_t> d(dests);
    return [d](const Message& m) {
      return std::find(d.begin(), d.end(), m.to.value()) != d.end();
    };
  }
  static std::function<bool(const Message&)> sync_to(std::uint64_t dest) {
    return [dest](const Message& m) {
      return m.to == NodeId(dest) && std::holds_alternative<AcceptSync>(m.payload);
    };
  }

  // Round 1: A leads with B and E, and decides [e0 e1 e2]; only A learns that it is decided.
  // Round 2: C leads with B and D, adopts B's log, and its AcceptSync reaches D before C fails
  // (its other messages are lost). D now holds C's round, newer than round 1.
  void chosen_in_round_one_then_partly_synced_in_round_two() {
    at(A).px.try_become_leader();
    send(A, to({B, E}));
    send(B, to({A}));
    send(E, to({A}));
    ASSERT_EQ(at(A).px.status().phase, Phase::kAccept);
    for (const char* e : {"e0", "e1", "e2"}) at(A).px.append(e);
    send(A, to({B, E}));
    send(B, to({A}));
    send(E, to({A}));
    ASSERT_EQ(at(A).px.decided_idx(), idx(3)) << "A, B, E accepted: a write quorum of 5";
    at(A).out();  // A fails: its Decide never leaves

    at(C).px.try_become_leader();
    send(C, to({B, D}));
    send(B, to({C}));
    send(D, to({C}));
    ASSERT_EQ(at(C).px.status().phase, Phase::kAccept);
    ASSERT_EQ(at(C).storage.entries(), entries({"e0", "e1", "e2"}));
    send(C, sync_to(D));  // C fails after its AcceptSync to D
    ASSERT_GT(at(D).storage.accepted_round(), at(B).storage.accepted_round());
  }

  std::map<std::uint64_t, std::unique_ptr<OpNode>> nodes_;
};

TEST_F(AdoptionSafety, AFollowerThatTakesANewRoundHoldsEveryEntryChosenBeforeIt) {
  chosen_in_round_one_then_partly_synced_in_round_two();
  EXPECT_EQ(at(D).px.status().phase, Phase::kAccept);
  EXPECT_EQ(at(D).storage.entries(), entries({"e0", "e1", "e2"}))
      << "AcceptSync must not be cut to batch_entries_max";
}

// E leads round 3 with promises from B (round 1, [e0 e1 e2]) and D (round 2). Adopting D's log
// because its round is newer must keep e1 and e2, chosen in round 1 and decided at A; E then
// decides "x" after them, and A's and E's decided prefixes agree.
TEST_F(AdoptionSafety, ANewLeaderKeepsEveryEntryChosenInAnEarlierRound) {
  chosen_in_round_one_then_partly_synced_in_round_two();
  at(E).px.try_become_leader();
  send(E, to({B, D}));
  send(B, to({E}));
  send(D, to({E}));
  ASSERT_EQ(at(E).px.status().phase, Phase::kAccept);
  EXPECT_EQ(at(E).storage.entries(), entries({"e0", "e1", "e2"}));

  at(E).px.append("x");
  send(E, to({B, D}));
  send(B, to({E}));
  send(D, to({E}));
  std::vector<Entry> decided_at_a, decided_at_e;
  at(A).px.read_decided(idx(0), decided_at_a);
  at(E).px.read_decided(idx(0), decided_at_e);
  EXPECT_EQ(decided_at_e, entries({"e0", "e1", "e2", "x"}));
  const std::size_t common = std::min(decided_at_a.size(), decided_at_e.size());
  ASSERT_EQ(common, 3u);
  for (std::size_t i = 0; i < common; ++i) {
    EXPECT_EQ(decided_at_a[i], decided_at_e[i]) << "decided prefixes disagree at index " << i;
  }
}

// The same state seen from the follower: A, which knows [0, 3) is decided, prepares round 3. D's
// accepted round (2) is newer than A's (1); with a chunked AcceptSync D's log was shorter than
// A's decided index and handle_prepare's assertion aborted the process. D must simply promise.
TEST_F(AdoptionSafety, AFollowerInANewerRoundPromisesToALeaderThatDecidedMore) {
  chosen_in_round_one_then_partly_synced_in_round_two();
  at(A).px.try_become_leader();
  send(A, to({D}));
  auto p = only<Promise>(at(D).out(), A);
  EXPECT_EQ(p.accepted_round, at(C).storage.promise());
  EXPECT_EQ(p.suffix_start, idx(3)) << "from A's decided index";
  EXPECT_TRUE(p.suffix.empty());
}

}  // namespace
}  // namespace paxoskv::paxos
