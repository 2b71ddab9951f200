// The crash test's final checks, run once the faults have stopped and every node is up.
//
//   (a) every acknowledged write is present with its value: in a linearizable scan through the
//       cluster, in linearizable gets of a random sample of keys, and in a serializable scan of
//       every node taken after all nodes applied the same decided index;
//   (b) all nodes' state is identical: the serializable scans (key, value, create/mod revision,
//       version) of all nodes are equal to each other and to the linearizable scan, and so are
//       the store revisions in their statuses;
//   (c) nothing was applied twice or invented: every key present is one a writer attempted, with
//       the value of that attempt, version 1 and create_revision == mod_revision; an
//       acknowledged write's mod_revision is the revision its acknowledgement carried; no two keys
//       share a revision (each put is its own command).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "local_cluster.h"
#include "workload.h"

namespace paxoskv::crash {

struct VerifyResult {
  std::vector<std::string> problems;  // empty = every check passed
  std::vector<std::string> passed;    // one line per check that passed, for the summary
  std::uint64_t keys = 0;             // keys in the final state
  std::uint64_t acked = 0;
  std::uint64_t unknown_applied = 0;  // unknown-outcome writes that did take effect
  std::uint64_t unknown_absent = 0;   // ... and that did not
  std::uint64_t decided_idx = 0;      // the index all nodes converged on
  bool ok() const { return problems.empty(); }
};

// `deadline` bounds every wait inside (leader, convergence); `sample` is how many acknowledged
// keys get an individual linearizable get.
VerifyResult verify(const testing::LocalCluster& cluster, const std::vector<WriterLog>& logs,
                    std::mt19937_64& rng, std::chrono::milliseconds deadline, std::size_t sample);

}  // namespace paxoskv::crash
