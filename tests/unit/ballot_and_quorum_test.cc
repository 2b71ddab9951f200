// Ballot ordering and quorum arithmetic: the two facts every safety argument of Sequence Paxos
// rests on. Properties are checked with RapidCheck; intersection is checked by enumeration.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cstdint>
#include <tuple>

#include "paxos/quorum.h"
#include "paxos/types.h"

namespace paxoskv::paxos {
namespace {

// Small ranges make ties (equal n, equal priority) frequent, which is where ordering bugs hide.
Ballot gen_ballot() {
  return Ballot{ConfigId(*rc::gen::inRange<std::uint32_t>(0, 3)),
                *rc::gen::inRange<std::uint32_t>(0, 4), *rc::gen::inRange<std::uint64_t>(0, 3),
                NodeId(*rc::gen::inRange<std::uint64_t>(0, 4))};
}

auto key(const Ballot& b) { return std::make_tuple(b.n, b.priority, b.pid.value()); }

RC_GTEST_PROP(BallotOrder, ComparesByNThenPriorityThenPidIgnoringConfigId, ()) {
  const Ballot a = gen_ballot();
  const Ballot b = gen_ballot();
  RC_ASSERT((a < b) == (key(a) < key(b)));
  RC_ASSERT((a == b) == (key(a) == key(b)));
  RC_ASSERT((a > b) == (key(a) > key(b)));
}

RC_GTEST_PROP(BallotOrder, IsAStrictTotalOrder, ()) {
  const Ballot a = gen_ballot();
  const Ballot b = gen_ballot();
  const Ballot c = gen_ballot();
  RC_ASSERT(!(a < a));                                            // irreflexive
  RC_ASSERT(int(a < b) + int(a == b) + int(b < a) == 1);          // trichotomy
  if (a < b && b < c) RC_ASSERT(a < c);                           // transitive
  if (a < b) RC_ASSERT(!(b < a));                                 // asymmetric
}

RC_GTEST_PROP(BallotOrder, ConfigIdDoesNotChangeTheOrder, ()) {
  Ballot a = gen_ballot();
  Ballot b = a;
  b.config_id = ConfigId(a.config_id.value() + 1);
  RC_ASSERT(a == b);
  RC_ASSERT(!(a < b) && !(b < a));
}

TEST(BallotOrder, HigherNWinsOverHigherPriorityAndPid) {
  EXPECT_LT((Ballot{ConfigId(1), 1, 9, NodeId(9)}), (Ballot{ConfigId(1), 2, 0, NodeId(1)}));
  EXPECT_LT((Ballot{ConfigId(1), 2, 0, NodeId(9)}), (Ballot{ConfigId(1), 2, 1, NodeId(1)}));
  EXPECT_LT((Ballot{ConfigId(1), 2, 1, NodeId(1)}), (Ballot{ConfigId(1), 2, 1, NodeId(2)}));
}

TEST(BallotOrder, OnlyTheDefaultBallotIsZero) {
  EXPECT_TRUE(Ballot{}.is_zero());
  EXPECT_FALSE((Ballot{ConfigId(1), 1, 0, kNoNode}).is_zero());
  EXPECT_FALSE((Ballot{ConfigId(1), 0, 0, NodeId(3)}).is_zero());
  EXPECT_LT(Ballot{}, (Ballot{ConfigId(1), 0, 0, NodeId(3)}));
}

TEST(Majority, IsMoreThanHalfForBothPhases) {
  for (std::size_t n = 1; n <= 9; ++n) {
    Quorum q = Quorum::majority(n);
    EXPECT_EQ(q.cluster_size(), n);
    EXPECT_EQ(q.read_quorum_size(), n / 2 + 1) << n;
    EXPECT_EQ(q.write_quorum_size(), n / 2 + 1) << n;
    EXPECT_GT(2 * q.read_quorum_size(), n);
  }
}

RC_GTEST_PROP(FlexibleQuorum, AcceptsExactlyWhenSizesFitAndIntersect, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(0, 12);
  const auto r = *rc::gen::inRange<std::size_t>(0, 14);
  const auto w = *rc::gen::inRange<std::size_t>(0, 14);
  std::vector<std::string> problems;
  auto q = Quorum::flexible(n, r, w, &problems);
  const bool should_accept = r >= 1 && r <= n && w >= 1 && w <= n && r + w > n;
  RC_ASSERT(q.has_value() == should_accept);
  RC_ASSERT(problems.empty() == should_accept);
  if (q) {
    RC_ASSERT(q->cluster_size() == n);
    RC_ASSERT(q->read_quorum_size() == r);
    RC_ASSERT(q->write_quorum_size() == w);
    RC_ASSERT(q->is_read_quorum(r) && !q->is_read_quorum(r - 1));
    RC_ASSERT(q->is_write_quorum(w) && !q->is_write_quorum(w - 1));
  }
}

TEST(FlexibleQuorum, ReportsEveryReasonAtOnce) {
  std::vector<std::string> problems;
  EXPECT_FALSE(Quorum::flexible(4, 0, 9, &problems).has_value());
  // read out of range, write out of range; 0 + 9 > 4 so no intersection complaint.
  EXPECT_EQ(problems.size(), 2u);
  problems.clear();
  EXPECT_FALSE(Quorum::flexible(4, 2, 2, &problems).has_value());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("exceed"), std::string::npos) << problems[0];
}

TEST(FlexibleQuorum, AppendsToExistingProblemsWithoutClearingThem) {
  std::vector<std::string> problems{"earlier"};
  EXPECT_FALSE(Quorum::flexible(3, 1, 1, &problems).has_value());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "earlier");
  EXPECT_TRUE(Quorum::flexible(3, 1, 3).has_value());  // problems may be null
}

// Every read quorum meets every write quorum: enumerate all subsets of a small cluster.
RC_GTEST_PROP(FlexibleQuorum, EveryReadQuorumIntersectsEveryWriteQuorum, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 8);
  const auto r = *rc::gen::inRange<std::size_t>(1, n + 1);
  const auto w = *rc::gen::inRange<std::size_t>(1, n + 1);
  auto q = Quorum::flexible(n, r, w);
  RC_PRE(q.has_value());
  const std::uint32_t all = (1u << n);
  for (std::uint32_t rs = 0; rs < all; ++rs) {
    if (!q->is_read_quorum(std::size_t(std::popcount(rs)))) continue;
    for (std::uint32_t ws = 0; ws < all; ++ws) {
      if (!q->is_write_quorum(std::size_t(std::popcount(ws)))) continue;
      RC_ASSERT((rs & ws) != 0u);
    }
  }
}

// Conversely, a pair that flexible() rejects for intersection has disjoint quorums.
TEST(FlexibleQuorum, RejectedSizesAdmitDisjointQuorums) {
  for (std::size_t n = 1; n <= 7; ++n) {
    for (std::size_t r = 1; r <= n; ++r) {
      for (std::size_t w = 1; w <= n; ++w) {
        if (Quorum::flexible(n, r, w).has_value()) continue;
        EXPECT_LE(r + w, n) << "rejected although it intersects: n=" << n << " r=" << r
                            << " w=" << w;
      }
    }
  }
}

}  // namespace
}  // namespace paxoskv::paxos
