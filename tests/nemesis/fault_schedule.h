// The nemesis harness's fault schedule, drawn from the run's seed.
//
// A run is a sequence of episodes, one fault at a time: inject, hold, heal, wait for writes to
// resume, pause. The kinds come in rounds, each round a fresh permutation of every kind, so the
// first round already exercises them all and a longer run repeats them in new orders. Everything
// random about an episode (hold time, pause, which follower, which pair, fsync delay) is drawn
// here, so --seed replays the schedule; which node is the leader at that moment, and the
// interleaving with the servers' timing, cannot be replayed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace paxoskv::nemesis {

enum class FaultKind : std::uint8_t {
  kKillLeader,           // SIGKILL the leader, restart it after the hold
  kKillFollower,         // SIGKILL a follower
  kKillMajority,         // SIGKILL a majority (leader included or not), restart them all
  kPauseLeader,          // SIGSTOP / SIGCONT the leader
  kPauseFollower,        // SIGSTOP / SIGCONT a follower
  kPartitionOneWay,      // drop messages in one direction between a pair
  kPartitionPair,        // drop messages both ways between a pair
  kIsolateLeader,        // drop every message to and from the leader
  kQuorumLoss,           // paper Fig. 1a: one non-leader hub keeps every link, all others down
  kConstrainedElection,  // paper Fig. 1b: a lagging node becomes the only quorum-connected one
  kChained,              // paper Fig. 1c: the nodes form a line, only neighbours talk
  kSlowFsync,            // delay every WAL fdatasync of the leader, a follower, or every node
  kFailFsync,            // the next fdatasync of one node fails: it must exit; then restarted
  kLongIsolation,        // cut one node off for longer than the peer idle timeout (10 s), so
                         // the silent links are closed and must be redialled after the heal
  kCount,
};
inline constexpr std::size_t kFaultKinds = static_cast<std::size_t>(FaultKind::kCount);
const char* fault_name(FaultKind kind);

struct Episode {
  FaultKind kind = FaultKind::kKillLeader;
  std::chrono::milliseconds hold{0};   // how long the fault stays in force
  std::chrono::milliseconds pause{0};  // quiet time after writes resumed, before the next fault
  std::uint64_t pick = 0;              // chooses targets among the nodes that qualify
  std::uint32_t fsync_delay_ms = 0;    // kSlowFsync
};

struct ScheduleOptions {
  std::chrono::milliseconds hold_min{1'000};
  std::chrono::milliseconds hold_max{3'000};
  std::chrono::milliseconds pause_min{300};
  std::chrono::milliseconds pause_max{1'000};
  std::chrono::milliseconds long_hold_min{11'000};  // kLongIsolation
  std::chrono::milliseconds long_hold_max{13'000};
  std::uint32_t fsync_delay_ms_min = 20;
  std::uint32_t fsync_delay_ms_max = 200;
};

// `rounds` rounds of every kind, each round in its own random order.
std::vector<Episode> draw_schedule(std::uint64_t seed, std::size_t rounds,
                                   const ScheduleOptions& options);

}  // namespace paxoskv::nemesis
