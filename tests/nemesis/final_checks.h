// The nemesis harness's checks after the faults stop (checks 1-3 of issue 6; check 4, recovery
// after each heal, is measured during the run).
//
//   settle_and_read: wait until every node follows one leader and all have applied the same
//     decided index (stable across two polls), read every key of the run linearizably (these reads
//     join the history, so the checker also judges the final state), then compare every node's
//     state_hash and applied index (check 3);
//   run_checker: paxoskv-check on the history (check 1);
//   find_lost_writes (history.h) on the final reads (check 2).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "history.h"
#include "local_cluster.h"

namespace paxoskv::nemesis {

struct FinalState {
  std::vector<std::string> problems;
  std::vector<std::string> passed;
  std::vector<HistoryOp> final_reads;  // to append to the history
  std::vector<std::pair<std::string, std::optional<std::string>>> final_values;
  std::uint64_t applied_idx = 0;
  std::uint64_t state_hash = 0;
  std::chrono::milliseconds settle_time{0};
};

FinalState settle_and_read(const testing::LocalCluster& cluster, const std::set<std::string>& keys,
                           const RunClock& clock, std::uint64_t reader_client,
                           std::chrono::milliseconds deadline,
                           const std::atomic<bool>& interrupted);

struct CheckerRun {
  bool found = false;  // the paxoskv-check executable exists
  int exit_code = -1;  // 0 linearizable, 1 violation, 2 bad input, 3 gave up; -1 did not run
  std::string output;  // what it printed
};

// Runs <dir of this executable>/paxoskv-check on `history_path`, its output saved to `output_path`.
CheckerRun run_checker(const std::string& history_path, const std::string& output_path,
                       std::chrono::milliseconds budget);

}  // namespace paxoskv::nemesis
