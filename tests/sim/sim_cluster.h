// A deterministic simulated cluster: N OmniPaxos replicas over fault-injecting storage and a
// simulated network, advanced one tick at a time. Everything random comes from one seed, so a
// run replays exactly. Safety invariants are checked after every step.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "faulty_storage.h"
#include "paxos/omni_paxos.h"
#include "rng.h"
#include "sim_network.h"

namespace paxoskv::sim {

struct SimOptions {
  std::size_t nodes = 3;
  std::uint64_t seed = 1;
  // Node ids are drawn at random (arbitrary, sparse) unless this is set; then they are 1..n.
  bool dense_node_ids = false;
  // Timeouts, quorums and batching for every node (node_id and nodes are filled in).
  paxos::Config config;
  // Chance that a node flushes (syncs storage, sends its outbox) right after an event rather than
  // at the end of the step or later. Below 1, crashes lose unsynced writes and unsent messages.
  double eager_flush_rate = 1.0;
  double end_of_step_flush_rate = 1.0;
  // Chance that a flush syncs storage at once. Otherwise the sync comes at a later flush, like a
  // server's fsync on its I/O thread: messages that may leave before the sync (paxos::SendRule)
  // are already out, the others wait, and a crash meanwhile loses the unsynced writes.
  double sync_rate = 1.0;
  // Snapshots: every this many newly applied entries a node snapshots its state machine and trims
  // its log (0 = never). Lagging nodes then catch up through snapshot transfers.
  std::uint64_t snapshot_interval_entries = 0;
  // A snapshot transfer takes 1..this many ticks (and fails if the source is down, unreachable or
  // no longer keeps that snapshot).
  std::uint64_t snapshot_transfer_ticks_max = 5;
  // Print every delivered message and fault to stderr (for replaying a failing seed).
  bool trace = false;
  // Print a readable story to stdout: faults, leader changes and decided entries.
  bool narrate = false;
};

class SimCluster {
 public:
  explicit SimCluster(SimOptions options);

  // ---- time ----
  void step();
  void run(std::uint64_t ticks);
  // Steps until `done()` holds or `max_ticks` pass; true if it held. Stops at a violation.
  bool run_until(const std::function<bool()>& done, std::uint64_t max_ticks);
  std::uint64_t now() const { return now_; }

  // ---- faults ----
  void crash(paxos::NodeId node);
  // Crashes `node` and loses its storage and snapshots for good, as a replaced disk or a wiped
  // data directory would; it restarts amnesiac (OmniPaxos::start_amnesiac).
  void wipe(paxos::NodeId node);
  void restart(paxos::NodeId node);
  void cut(paxos::NodeId from, paxos::NodeId to);
  void cut_both(paxos::NodeId a, paxos::NodeId b);
  void restore_both(paxos::NodeId a, paxos::NodeId b);
  void isolate(paxos::NodeId node);
  // Restores every link, telling both ends that they reconnected.
  void heal_network();
  SimNetwork& network() { return network_; }

  // ---- clients ----
  // Proposes a fresh unique entry at `node` and returns it (empty if the node is down or full).
  paxos::Entry propose(paxos::NodeId node);
  bool propose(paxos::NodeId node, const paxos::Entry& entry);

  // Asks `node` for a linearizable read index; false if it is not the accepting leader. When the
  // read is confirmed, the checker requires its index to cover every entry decided before now.
  bool read(paxos::NodeId node);
  std::uint64_t reads_confirmed() const { return reads_confirmed_; }

  // ---- observation ----
  const std::vector<paxos::NodeId>& node_ids() const { return ids_; }
  bool alive(paxos::NodeId node) const;
  const paxos::OmniPaxos* replica(paxos::NodeId node) const;
  paxos::Status status(paxos::NodeId node) const;
  // The live leader in its accept phase with the highest ballot, if any.
  std::optional<paxos::NodeId> leader() const;
  // A leader in its accept phase that every live node follows in the accept phase, and that
  // leader election on every live node believes in and sees as happy.
  std::optional<paxos::NodeId> stable_leader() const;
  bool decided_on(paxos::NodeId node, const paxos::Entry& entry) const;
  bool decided_on_all_live(const paxos::Entry& entry) const;
  // All live nodes have the same decided index.
  bool decided_converged() const;
  std::size_t decided_count() const { return chosen_.size(); }
  const std::vector<paxos::Entry>& chosen() const { return chosen_; }
  std::size_t leader_changes() const { return leader_ballots_.size(); }
  std::uint64_t snapshots_taken() const { return snapshots_taken_; }
  std::uint64_t snapshots_installed() const { return snapshots_installed_; }
  const std::string& violation() const { return violation_; }
  // A line per node, for failure reports.
  std::string describe() const;
  testing::Rng& rng() { return rng_; }
  const SimOptions& options() const { return options_; }

 private:
  struct Node {
    paxos::NodeId id;
    testing::FaultyStorage storage;
    std::unique_ptr<paxos::OmniPaxos> replica;
    // The state machine: the decided prefix applied (and compared with chosen_). Its content is
    // always chosen_[0, applied), so a snapshot is just an index.
    paxos::LogIndex checked_upto;
    paxos::Ballot durable_promise;
    // Snapshot indices held (durable at once, like tmp+fsync+rename; they survive crashes).
    std::set<paxos::LogIndex> snapshots;
    paxos::LogIndex last_snapshot;
    // The transfer in progress for the core's SnapshotWanted (volatile).
    std::optional<paxos::SnapshotWanted> transfer;
    std::uint64_t transfer_due = 0;
    // Messages taken from the outbox that wait for the next sync (volatile).
    std::vector<paxos::Message> held;
  };

  Node& node(paxos::NodeId id);
  const Node& node(paxos::NodeId id) const;
  paxos::Config config_for(paxos::NodeId id);
  void flush(Node& n);
  void sync(Node& n);
  void check_decided(Node& n);
  void maybe_snapshot(Node& n);
  void advance_transfers();
  void check_step();
  void fail(std::string what);
  void trace_message(const paxos::Message& m) const;
  void narrate(const std::string& line) const;

  SimOptions options_;
  testing::Rng rng_;
  SimNetwork network_;
  std::vector<paxos::NodeId> ids_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::uint64_t now_ = 0;
  std::uint64_t next_proposal_ = 0;

  // The invariant checker's memory.
  std::vector<paxos::Entry> chosen_;                             // the decided log, as first seen
  std::unordered_map<paxos::Entry, std::uint64_t> chosen_index_;  // entry -> index in chosen_
  std::unordered_set<paxos::Entry> proposed_;
  std::vector<paxos::Ballot> leader_ballots_;  // every ballot seen leading in the accept phase
  std::size_t narrated_decided_ = 0;
  std::uint64_t snapshots_taken_ = 0;
  std::uint64_t snapshots_installed_ = 0;
  // Reads in flight: id -> entries known decided when the read was asked.
  std::unordered_map<std::uint64_t, std::size_t> reads_;
  std::uint64_t next_read_id_ = 1;
  std::uint64_t reads_confirmed_ = 0;
  std::vector<paxos::ReadResult> scratch_reads_;
  std::string violation_;
  std::vector<paxos::Message> scratch_out_;
  std::vector<paxos::Entry> scratch_entries_;
};

std::string to_string(const paxos::Ballot& ballot);

}  // namespace paxoskv::sim
