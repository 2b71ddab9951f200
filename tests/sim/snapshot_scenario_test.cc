// Snapshots and log trimming in the simulator: a node that missed entries which every other node
// has trimmed catches up from a snapshot, both as a follower (the leader sends an AcceptSync that
// needs its snapshot) and as a new leader (it adopts a log that starts at a follower's snapshot;
// the random sweep, where half of the runs snapshot every few entries, exercises both paths).
#include <gtest/gtest.h>

#include "scenario_helpers.h"

namespace paxoskv::sim {
namespace {

using paxos::NodeId;

SimOptions snapshot_options(std::size_t nodes, std::uint64_t seed) {
  SimOptions o = scenario_options(nodes, seed);
  o.snapshot_interval_entries = 10;
  return o;
}

class SnapshotScenario : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SnapshotScenario, FollowerDownWhileOthersTrimCatchesUpFromASnapshot) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    SimCluster c(snapshot_options(GetParam(), seed));
    const NodeId leader = elect(c);
    NodeId lagging = paxos::kNoNode;
    for (NodeId id : c.node_ids()) {
      if (id != leader) lagging = id;
    }
    c.crash(lagging);
    write_and_replicate(c, 60);
    ASSERT_GT(c.replica(leader)->compacted_idx().value(), 0u) << "the leader never trimmed";
    c.restart(lagging);
    const paxos::Entry probe = c.propose(leader);
    ASSERT_TRUE(c.run_until([&] { return c.decided_on(lagging, probe); }, 200))
        << "seed " << seed << "\n" << c.describe();
    EXPECT_GE(c.snapshots_installed(), 1u) << "seed " << seed;
    EXPECT_EQ(c.violation(), "") << "seed " << seed;
  }
}

TEST_P(SnapshotScenario, QuorumThatNeedsTheNodeBehindTheTrimmedLogMakesProgress) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    SimCluster c(snapshot_options(GetParam(), seed));
    const NodeId first = elect(c);
    NodeId behind = paxos::kNoNode;
    for (NodeId id : c.node_ids()) {
      if (id != first) behind = id;
    }
    c.isolate(behind);
    // In rounds, so that every node learns decided indexes often enough to snapshot and trim more
    // than once (a node trims at its previous snapshot half of the time).
    for (int round = 0; round < 6; ++round) write_and_replicate(c, 10);
    // Leave up exactly a quorum that includes `behind` (and not the old leader): whichever of them
    // leads, either `behind` takes a snapshot from the leader, or `behind` leads and must first
    // install a follower's snapshot to adopt its log (the sweep shows both happen).
    const std::size_t quorum = GetParam() / 2 + 1;
    std::size_t up = 1;  // behind
    for (NodeId id : c.node_ids()) {
      if (id == behind) continue;
      if (up < quorum && id != first) {
        ++up;
      } else {
        c.crash(id);
      }
    }
    c.heal_network();
    // The survivors have trimmed below what `behind` has; whoever leads needs a snapshot there.
    const paxos::Entry probe = c.propose(behind);
    ASSERT_TRUE(c.run_until([&] { return !probe.empty() && c.decided_on(behind, probe); }, 400))
        << "seed " << seed << "\n" << c.describe();
    EXPECT_GE(c.snapshots_installed(), 1u) << "seed " << seed;
    EXPECT_EQ(c.violation(), "") << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Nodes, SnapshotScenario, ::testing::Values(3, 5),
                         [](const auto& param_info) { return std::to_string(param_info.param) + "nodes"; });

}  // namespace
}  // namespace paxoskv::sim
