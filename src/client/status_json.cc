#include "client/status_json.h"

namespace paxoskv::client {

nlohmann::ordered_json node_status_json(const NodeStatus& n) {
  return {{"node_id", n.node_id},
          {"client_address", n.client_address},
          {"peer_address", n.peer_address},
          {"pid", n.pid},
          {"role", n.role},
          {"phase", n.phase},
          {"leader_id", n.leader_id},
          {"ballot", n.ballot},
          {"decided_idx", n.decided_idx},
          {"applied_idx", n.applied_idx},
          {"log_end", n.log_end},
          {"connected_peers", n.connected_peers},
          {"revision", n.revision},
          {"fsync_count", n.fsync_count},
          {"fsync_p50_us", n.fsync_p50_us},
          {"fsync_p99_us", n.fsync_p99_us},
          {"fsync_max_us", n.fsync_max_us},
          {"wal_bytes", n.wal_bytes},
          {"fsync_enabled", n.fsync_enabled},
          {"compacted_idx", n.compacted_idx},
          {"snapshot_idx", n.snapshot_idx},
          {"snapshots_taken", n.snapshots_taken},
          {"snapshots_installed", n.snapshots_installed},
          {"state_hash", n.state_hash},
          {"fault_injection", n.fault_injection},
          {"active_faults", n.active_faults}};
}

}  // namespace paxoskv::client
