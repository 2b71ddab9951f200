// One randomized simulation run: a fault phase with faults drawn from the seed, then a healed
// phase that checks liveness. Used by `paxoskv-sim`, the CI sweep and the property tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim_cluster.h"

namespace paxoskv::sim {

struct RunOptions {
  std::size_t nodes = 3;
  std::uint64_t seed = 1;
  std::uint64_t fault_steps = 2000;
  bool trace = false;
  bool narrate = false;
};

struct RunResult {
  std::uint64_t seed = 0;
  std::size_t nodes = 0;
  std::size_t decided = 0;
  std::size_t leader_changes = 0;
  std::uint64_t crashes = 0;
  std::uint64_t partitions = 0;
  std::uint64_t wipes = 0;  // nodes that lost their storage (and rejoined amnesiac)
  std::uint64_t dropped = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t proposals = 0;
  std::uint64_t reads = 0;  // linearizable reads confirmed
  std::uint64_t snapshots_taken = 0;
  std::uint64_t snapshots_installed = 0;  // transfers to lagging nodes
  // Ticks from healing until a stable leader, then until fresh proposals were decided everywhere.
  std::uint64_t election_ticks = 0;
  std::uint64_t commit_ticks = 0;
  std::string violation;  // empty when every invariant and the liveness bound held
  // No leader after healing because too few nodes kept their storage (see random_run.cc).
  bool stuck_on_amnesia = false;

  std::string summary() const;
};

// Liveness bounds once faults stop, in ticks, with the default timing (election timeout 10 ticks,
// resend timeout 5, 1..3 ticks of network delay):
// - a stable leader (followed and seen happy by every node for a whole round plus a delay) within
//   10 election timeouts. It takes a round for replies to flow again, a round for nodes to see
//   that nobody is happy, possibly a second takeover by a node that learned late, a round for the
//   new leader's happiness to spread, and the settling round. 2,000 seeds on 3 and 5 nodes needed
//   at most 73 ticks (56 since a newly learned leader gets a grace round).
// - then proposals made at every node decided on every node within 4 election timeouts: a
//   forward, an AcceptDecide, an Accepted and a Decide are four delays of at most 3 ticks, plus
//   deferred flushes, plus up to a tick before a Decide that no AcceptDecide carries leaves (a
//   node that forwarded nothing learns the decision at the leader's next tick). The same seeds
//   needed at most 24 ticks when every Decide left at once; 35,000 seeds since needed at most 30.
inline constexpr std::uint64_t kElectionBoundTicks = 100;
inline constexpr std::uint64_t kCommitBoundTicks = 40;

// The timing every randomized run uses.
paxos::Config default_sim_config();

RunResult run_random(const RunOptions& options);

// Steps until a leader has been stable (SimCluster::stable_leader) for a whole heartbeat round plus
// a message delay, and returns it; nullopt after `max_ticks`.
std::optional<paxos::NodeId> wait_for_settled_leader(SimCluster& cluster, std::uint64_t max_ticks);

}  // namespace paxoskv::sim
