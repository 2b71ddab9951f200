#include "fault_schedule.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace paxoskv::nemesis {

const char* fault_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKillLeader:
      return "kill-leader";
    case FaultKind::kKillFollower:
      return "kill-follower";
    case FaultKind::kKillMajority:
      return "kill-majority";
    case FaultKind::kPauseLeader:
      return "pause-leader";
    case FaultKind::kPauseFollower:
      return "pause-follower";
    case FaultKind::kPartitionOneWay:
      return "partition-one-way";
    case FaultKind::kPartitionPair:
      return "partition-pair";
    case FaultKind::kIsolateLeader:
      return "isolate-leader";
    case FaultKind::kQuorumLoss:
      return "quorum-loss";
    case FaultKind::kConstrainedElection:
      return "constrained-election";
    case FaultKind::kChained:
      return "chained";
    case FaultKind::kSlowFsync:
      return "slow-fsync";
    case FaultKind::kFailFsync:
      return "fail-fsync";
    case FaultKind::kLongIsolation:
      return "long-isolation";
    case FaultKind::kCount:
      break;
  }
  return "?";
}

std::vector<Episode> draw_schedule(std::uint64_t seed, std::size_t rounds,
                                   const ScheduleOptions& options) {
  std::mt19937_64 rng(seed);
  auto ms = [&](std::chrono::milliseconds lo, std::chrono::milliseconds hi) {
    return std::chrono::milliseconds(
        std::uniform_int_distribution<std::int64_t>(lo.count(), hi.count())(rng));
  };
  std::vector<Episode> schedule;
  for (std::size_t round = 0; round < rounds; ++round) {
    std::vector<std::size_t> order(kFaultKinds);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t k : order) {
      Episode e;
      e.kind = static_cast<FaultKind>(k);
      e.hold = e.kind == FaultKind::kLongIsolation
                   ? ms(options.long_hold_min, options.long_hold_max)
                   : ms(options.hold_min, options.hold_max);
      e.pause = ms(options.pause_min, options.pause_max);
      e.pick = rng();
      e.fsync_delay_ms = std::uniform_int_distribution<std::uint32_t>(
          options.fsync_delay_ms_min, options.fsync_delay_ms_max)(rng);
      schedule.push_back(e);
    }
  }
  return schedule;
}

}  // namespace paxoskv::nemesis
