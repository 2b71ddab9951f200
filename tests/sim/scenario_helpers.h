// Helpers for scenario tests that drive a SimCluster by hand (no random faults).
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "random_run.h"
#include "sim_cluster.h"

namespace paxoskv::sim {

inline constexpr std::uint64_t kElectionTimeoutTicks = 10;

inline SimOptions scenario_options(std::size_t nodes, std::uint64_t seed) {
  SimOptions o;
  o.nodes = nodes;
  o.seed = seed;
  o.config = default_sim_config();
  o.config.election_timeout_ticks = kElectionTimeoutTicks;
  return o;
}

// Runs until a stable leader exists and returns it (fails the test otherwise).
inline paxos::NodeId elect(SimCluster& c, std::uint64_t max_ticks = kElectionBoundTicks) {
  EXPECT_TRUE(c.run_until([&] { return c.stable_leader().has_value(); }, max_ticks))
      << "no stable leader after " << max_ticks << " ticks\n" << c.describe();
  EXPECT_EQ(c.violation(), "");
  return c.stable_leader().value_or(paxos::kNoNode);
}

// A client at `at` that writes until one attempt is decided at `at`, retrying with a fresh entry
// every election timeout, as a real client retries a request that timed out. Returns the ticks it
// took, or nullopt after `max_ticks`.
inline std::optional<std::uint64_t> client_write(SimCluster& c, paxos::NodeId at,
                                                 std::uint64_t max_ticks) {
  const std::uint64_t start = c.now();
  std::vector<paxos::Entry> attempts;
  std::uint64_t next_attempt = start;
  bool done = c.run_until(
      [&] {
        for (const auto& e : attempts) {
          if (!e.empty() && c.decided_on(at, e)) return true;
        }
        if (c.now() >= next_attempt) {
          attempts.push_back(c.propose(at));
          next_attempt = c.now() + kElectionTimeoutTicks;
        }
        return false;
      },
      max_ticks);
  if (!done) return std::nullopt;
  return c.now() - start;
}

// Writes `count` entries through the leader and waits until every live node connected to it has
// them.
inline void write_and_replicate(SimCluster& c, std::size_t count) {
  auto l = c.leader();
  ASSERT_TRUE(l.has_value());
  std::vector<paxos::Entry> entries;
  for (std::size_t i = 0; i < count; ++i) entries.push_back(c.propose(*l));
  // Decided on the leader and on every live node connected to it: followers learn a decided index
  // that no AcceptDecide carries at the leader's next tick.
  ASSERT_TRUE(c.run_until(
      [&] {
        for (paxos::NodeId id : c.node_ids()) {
          if (id != *l && (!c.alive(id) || !c.network().connected(id, *l))) continue;
          for (const auto& e : entries) {
            if (!c.decided_on(id, e)) return false;
          }
        }
        return true;
      },
      100))
      << c.describe();
}

}  // namespace paxoskv::sim
