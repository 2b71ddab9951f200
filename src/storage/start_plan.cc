#include "start_plan.h"

#include <string>

namespace paxoskv::storage {

Result<StartPlan> plan_start(std::optional<paxos::LogIndex> newest_snapshot, bool wal_fresh,
                             paxos::LogIndex log_start, paxos::LogIndex decided_idx) {
  if (newest_snapshot && wal_fresh) {
    return StorageError{
        StorageError::Kind::kCorrupt,
        "a snapshot at index " + std::to_string(newest_snapshot->value()) +
            " exists but the WAL is empty: the log, and the promises it recorded, were lost. "
            "Restore the wal/ directory, or move the whole data directory away so that the node "
            "rejoins as one without memory"};
  }
  const std::uint64_t snapshot_at = newest_snapshot ? newest_snapshot->value() : 0;
  if (log_start.value() > snapshot_at) {
    return StorageError{
        StorageError::Kind::kCorrupt,
        "the log was trimmed up to index " + std::to_string(log_start.value()) + " but " +
            (newest_snapshot ? "the newest snapshot is at " + std::to_string(snapshot_at)
                             : std::string("there is no snapshot")) +
            ": the entries [" + std::to_string(snapshot_at) + ", " +
            std::to_string(log_start.value()) + ") are in neither"};
  }
  StartPlan plan;
  plan.snapshot = newest_snapshot;
  plan.reset_log_to_snapshot = newest_snapshot && *newest_snapshot > decided_idx;
  return plan;
}

}  // namespace paxoskv::storage
