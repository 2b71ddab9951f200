// Carries out the nemesis harness's fault episodes on a live cluster: process faults with signals
// (NodeProcesses), network and disk faults through each server's fault-injection control
// (Op::kFault, see src/server/fault_injection.h).
//
// A network cut between a and b is made at both ends (a drops what it sends to b and what it
// receives from b, and b likewise); a one-way cut a -> b is made at the sender, at the receiver or
// at both, chosen by the episode, so both hooks of the server are exercised.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/protocol.h"
#include "fault_schedule.h"
#include "history.h"
#include "local_cluster.h"
#include "monitor.h"
#include "processes.h"

namespace paxoskv::nemesis {

// Thrown out of any wait once the run is interrupted (SIGINT / SIGTERM).
struct Interrupted {};
void sleep_checked(std::chrono::milliseconds duration, const std::atomic<bool>& interrupted);

struct EpisodeRecord {
  Episode episode;
  std::string what;  // the fault with its targets, e.g. "pause-leader [n2]"
  std::int64_t injected_ns = 0;
  std::int64_t healed_ns = 0;
  std::optional<std::int64_t> resumed_ns;  // first acknowledged write completed after the heal
  std::vector<std::string> problems;       // harness-visible failures during the episode
};

class Injector {
 public:
  Injector(NodeProcesses& processes, const testing::LocalCluster& cluster,
           const crash::Monitor& monitor, const RunClock& clock,
           const std::atomic<bool>& interrupted);

  // Injects the episode's fault, holds it, and heals it (restart, SIGCONT, unblock, ...).
  EpisodeRecord run(const Episode& episode);

  // Lifts every fault: resumes paused nodes, starts stopped ones, heal-all on every node.
  std::vector<std::string> heal_everything();

  // A node whose process ended although the harness did not make it: always a bug. Reports and
  // restarts it, so the run can go on and find more.
  std::vector<std::string> restart_unexpected_exits();

 private:
  void send_fault(std::size_t node, const FaultCommand& command, EpisodeRecord& record);
  void cut_both(std::size_t a, std::size_t b, EpisodeRecord& record);
  void cut_one_way(std::size_t from, std::size_t to, std::uint64_t where, EpisodeRecord& record);
  void heal_network(EpisodeRecord& record);
  std::size_t leader(std::uint64_t pick);
  std::vector<std::size_t> others(std::size_t except) const;
  void kill_and_restart(const std::vector<std::size_t>& nodes, EpisodeRecord& record);

  NodeProcesses& processes_;
  const testing::LocalCluster& cluster_;
  const crash::Monitor& monitor_;
  const RunClock& clock_;
  const std::atomic<bool>& interrupted_;
};

}  // namespace paxoskv::nemesis
