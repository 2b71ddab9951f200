// The CI sweep: PAXOSKV_SIM_SWEEP_SEEDS randomized runs on 3 and on 5 nodes, each checking every
// invariant after every step and the liveness bounds after healing. Split into shards so that
// ctest runs them in parallel. A failure names the seed and the command that replays it.
#include <gtest/gtest.h>

#include "random_run.h"

namespace paxoskv::sim {
namespace {

constexpr std::uint64_t kShards = 4;

struct Sweep {
  std::size_t nodes;
  std::uint64_t shard;
  friend void PrintTo(const Sweep& s, std::ostream* os) {
    *os << s.nodes << " nodes, shard " << s.shard;
  }
};

class SimulatorSweep : public ::testing::TestWithParam<Sweep> {};

TEST_P(SimulatorSweep, EveryInvariantHoldsAndTheClusterRecovers) {
  const auto [nodes, shard] = GetParam();
  const std::uint64_t seeds = PAXOSKV_SIM_SWEEP_SEEDS;
  for (std::uint64_t seed = 1 + shard; seed <= seeds; seed += kShards) {
    RunResult r = run_random(RunOptions{nodes, seed, 2000});
    ASSERT_EQ(r.violation, "") << r.summary() << "\nreplay: scripts/sim.sh --nodes " << nodes
                               << " --seed " << seed << " --runs 1 --trace\nSEED=" << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SimulatorSweep,
                         ::testing::Values(Sweep{3, 0}, Sweep{3, 1}, Sweep{3, 2}, Sweep{3, 3},
                                           Sweep{5, 0}, Sweep{5, 1}, Sweep{5, 2}, Sweep{5, 3}),
                         [](const auto& param_info) {
                           return std::to_string(param_info.param.nodes) + "nodes_shard" +
                                  std::to_string(param_info.param.shard);
                         });

// The same seed replays the same run: what makes a printed SEED worth anything.
TEST(SimulatorDeterminism, SameSeedSameRun) {
  for (std::uint64_t seed : {3u, 17u, 4242u}) {
    RunResult a = run_random(RunOptions{5, seed, 1500});
    RunResult b = run_random(RunOptions{5, seed, 1500});
    EXPECT_EQ(a.summary(), b.summary());
    EXPECT_EQ(a.violation, b.violation);
  }
}

}  // namespace
}  // namespace paxoskv::sim
