// One randomized simulation run: a fault phase with faults drawn from the seed, then a healed
// phase that checks liveness. Used by `paxoskv-sim`, the CI sweep and the property tests.
#pragma once

#include <cstdint>
#include <string>

#include "sim_cluster.h"

namespace paxoskv::sim {

struct RunOptions {
  std::size_t nodes = 3;
  std::uint64_t seed = 1;
  std::uint64_t fault_steps = 2000;
  bool trace = false;
};

struct RunResult {
  std::uint64_t seed = 0;
  std::size_t nodes = 0;
  std::size_t decided = 0;
  std::size_t leader_changes = 0;
  std::uint64_t crashes = 0;
  std::uint64_t partitions = 0;
  std::uint64_t dropped = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t proposals = 0;
  // Ticks from healing until a stable leader, then until fresh proposals were decided everywhere.
  std::uint64_t election_ticks = 0;
  std::uint64_t commit_ticks = 0;
  std::string violation;  // empty when every invariant and the liveness bound held

  std::string summary() const;
};

// Liveness bounds once faults stop, in ticks, with the default timing (election timeout 10 ticks,
// resend timeout 5, at most 3 ticks of network delay). See random_run.cc for the reasoning.
inline constexpr std::uint64_t kElectionBoundTicks = 80;
inline constexpr std::uint64_t kCommitBoundTicks = 30;

// The timing every randomized run uses.
paxos::Config default_sim_config();

RunResult run_random(const RunOptions& options);

}  // namespace paxoskv::sim
