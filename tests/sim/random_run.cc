#include "random_run.h"

#include <algorithm>
#include <cstdio>
#include <optional>

namespace paxoskv::sim {

using paxos::NodeId;

paxos::Config default_sim_config() {
  paxos::Config c;
  c.election_timeout_ticks = 10;
  c.resend_timeout_ticks = 5;
  c.batch_entries_max = 8;  // small, so that batching and chunked AcceptSync get exercised
  c.batch_bytes_max = 256;
  c.pipeline_entries_max = 64;
  c.proposal_buffer_entries_max = 256;
  return c;
}

std::string RunResult::summary() const {
  return "seed=" + std::to_string(seed) + " nodes=" + std::to_string(nodes) +
         " decided=" + std::to_string(decided) + " leader_changes=" +
         std::to_string(leader_changes) + " faults=crash:" + std::to_string(crashes) +
         ",partition:" + std::to_string(partitions) + ",drop:" + std::to_string(dropped) +
         ",dup:" + std::to_string(duplicated) + ",wipe:" + std::to_string(wipes) + " proposals=" + std::to_string(proposals) + " reads=" + std::to_string(reads) +
         " snapshots=" + std::to_string(snapshots_taken) + "/" + std::to_string(snapshots_installed) +
         " recovery_ticks=" + std::to_string(election_ticks) + "+" +
         std::to_string(commit_ticks) + (!violation.empty() ? " VIOLATION" : stuck_on_amnesia ? " ok (waits: amnesia)" : " ok");
}

namespace {

// Draws and applies faults during the fault phase.
class Nemesis {
 public:
  Nemesis(SimCluster& cluster, RunResult& result) : c_(cluster), rng_(cluster.rng()), r_(result) {
    // Each run gets its own weather.
    crash_rate_ = rng_.chance(0.8) ? rng_.unit() * 0.01 : 0;
    partition_rate_ = rng_.chance(0.8) ? rng_.unit() * 0.01 : 0;
    proposal_rate_ = 0.05 + rng_.unit() * 0.6;
    NetworkFaults f;
    f.drop_rate = rng_.chance(0.7) ? rng_.unit() * 0.1 : 0;
    f.duplicate_rate = rng_.chance(0.5) ? rng_.unit() * 0.05 : 0;
    f.delay_ticks_min = 1;
    f.delay_ticks_max = rng_.between(1, 3);
    f.fifo_links = rng_.chance(0.6);
    c_.network().set_faults(f);
    // A third of the runs lose one node's disk once. Only once: entries are chosen by a write
    // quorum, and losing a second copy before the first node has caught up again could lose data
    // that no protocol can recover.
    wipe_at_ = rng_.chance(0.3) ? rng_.between(100, 1500) : 0;
  }

  void step() {
    const auto& ids = c_.node_ids();
    const std::uint64_t now = c_.now();
    // Restarts and heals that are due.
    for (auto it = restarts_.begin(); it != restarts_.end();) {
      if (it->second <= now) {
        c_.restart(it->first);
        it = restarts_.erase(it);
      } else {
        ++it;
      }
    }
    if (wipe_at_ == now) {
      const NodeId victim = rng_.pick(ids);
      c_.wipe(victim);
      if (std::none_of(restarts_.begin(), restarts_.end(),
                       [&](const auto& r) { return r.first == victim; })) {
        restarts_.emplace_back(victim, now + rng_.between(5, 150));
      }
      ++r_.wipes;
    }
    if (heal_at_ != 0 && heal_at_ <= now) {
      c_.heal_network();
      heal_at_ = 0;
    }
    if (rng_.chance(crash_rate_)) {
      // Usually one node; sometimes a majority or everyone at once.
      std::size_t count = 1;
      if (rng_.chance(0.15)) count = ids.size() / 2 + 1;
      if (rng_.chance(0.05)) count = ids.size();
      std::vector<NodeId> victims = ids;
      rng_.shuffle(victims);
      for (std::size_t i = 0; i < count; ++i) {
        if (!c_.alive(victims[i])) continue;
        c_.crash(victims[i]);
        restarts_.emplace_back(victims[i], now + rng_.between(5, 150));
        ++r_.crashes;
      }
    }
    if (heal_at_ == 0 && rng_.chance(partition_rate_)) {
      const char* shape = partition();
      if (c_.options().narrate) {
        std::printf("  tick %5llu  partition: %s\n", static_cast<unsigned long long>(now), shape);
      }
      heal_at_ = now + rng_.between(20, 300);
      ++r_.partitions;
    }
    if (rng_.chance(proposal_rate_)) {
      NodeId at = rng_.pick(ids);
      if (!c_.propose(at).empty()) ++r_.proposals;
    }
    if (rng_.chance(proposal_rate_ / 2)) {
      // Reads go to whoever believes it leads; a stale leader must not confirm them.
      for (NodeId id : ids) {
        if (c_.alive(id) && c_.replica(id)->is_leader()) c_.read(id);
      }
    }
  }

  void heal() {
    for (auto& [id, at] : restarts_) c_.restart(id);
    restarts_.clear();
    c_.heal_network();
    heal_at_ = 0;
  }

 private:
  // Cuts links in one of several shapes; returns the shape's name.
  const char* partition() {
    std::vector<NodeId> ids = c_.node_ids();
    rng_.shuffle(ids);
    const std::size_t n = ids.size();
    switch (rng_.below(6)) {
      case 0: {  // a full split into two sides
        std::size_t side = rng_.between(1, n - 1);
        for (std::size_t i = 0; i < side; ++i) {
          for (std::size_t j = side; j < n; ++j) c_.cut_both(ids[i], ids[j]);
        }
        return "full split into two sides";
      }
      case 1:  // one node isolated (often the leader)
        if (auto l = c_.leader(); l && rng_.chance(0.7)) {
          c_.isolate(*l);
        } else {
          c_.isolate(ids[0]);
        }
        return "one node isolated";
      case 2: {  // quorum-loss: only ids[0] stays connected to everyone
        for (std::size_t i = 1; i < n; ++i) {
          for (std::size_t j = i + 1; j < n; ++j) c_.cut_both(ids[i], ids[j]);
        }
        return "quorum-loss (one node connected to all, no other links)";
      }
      case 3: {  // chained: a line ids[0] - ids[1] - ... - ids[n-1]
        for (std::size_t i = 0; i < n; ++i) {
          for (std::size_t j = i + 2; j < n; ++j) c_.cut_both(ids[i], ids[j]);
        }
        return "chained (nodes in a line)";
      }
      case 4: {  // random partial connectivity, some links one-way only
        for (std::size_t i = 0; i < n; ++i) {
          for (std::size_t j = 0; j < n; ++j) {
            if (i != j && rng_.chance(0.3)) c_.cut(ids[i], ids[j]);
          }
        }
        return "random partial connectivity (some links one-way)";
      }
      default: {  // constrained election: the leader is cut off from all but one node
        NodeId l = c_.leader().value_or(ids[0]);
        std::vector<NodeId> others;
        for (NodeId id : ids) {
          if (id != l) others.push_back(id);
        }
        for (std::size_t i = 1; i < others.size(); ++i) c_.cut_both(l, others[i]);
        return "constrained election (leader keeps one link)";
      }
    }
  }

  SimCluster& c_;
  std::uint64_t wipe_at_ = 0;
  testing::Rng& rng_;
  RunResult& r_;
  double crash_rate_ = 0;
  double partition_rate_ = 0;
  double proposal_rate_ = 0;
  std::vector<std::pair<NodeId, std::uint64_t>> restarts_;
  std::uint64_t heal_at_ = 0;  // when the current partition heals; 0 when there is none
};

}  // namespace

std::optional<NodeId> wait_for_settled_leader(SimCluster& cluster, std::uint64_t max_ticks) {
  // Settled: followed and seen happy by everyone for a whole heartbeat round plus a message delay.
  // By then no reply from before it settled is still counted in anyone's round, so nobody takes
  // over.
  const std::uint64_t settle_ticks = cluster.options().config.election_timeout_ticks +
                                     cluster.network().faults().delay_ticks_max;
  std::optional<std::pair<NodeId, std::uint64_t>> stable_since;
  const bool settled = cluster.run_until(
      [&] {
        auto l = cluster.stable_leader();
        if (!l) {
          stable_since.reset();
        } else if (!stable_since || stable_since->first != *l) {
          stable_since = std::pair(*l, cluster.now());
        }
        return stable_since && cluster.now() - stable_since->second >= settle_ticks;
      },
      max_ticks);
  if (!settled) return std::nullopt;
  return stable_since->first;
}

RunResult run_random(const RunOptions& options) {
  RunResult result;
  result.seed = options.seed;
  result.nodes = options.nodes;

  SimOptions sim;
  sim.nodes = options.nodes;
  sim.seed = options.seed;
  sim.config = default_sim_config();
  sim.trace = options.trace;
  sim.narrate = options.narrate;
  // Group commit: nodes often keep unsynced writes and unsent messages across events, so that a
  // crash loses them. Drawn from a stream of its own so the cluster's stream stays the seed's.
  testing::Rng flush_rng(options.seed ^ 0x5eedf1a540000001ULL);
  sim.eager_flush_rate = flush_rng.unit();
  sim.end_of_step_flush_rate = 0.5 + flush_rng.unit() * 0.5;
  // Half the runs sync late (an I/O thread), so leaders stream before their own sync.
  sim.sync_rate = flush_rng.chance(0.5) ? 1.0 : 0.5 + flush_rng.unit() * 0.5;
  // Half of the runs snapshot and trim often, so that lagging and restarted nodes must catch up
  // from snapshots (and leaders adopt logs that start at one).
  if (flush_rng.chance(0.5)) sim.snapshot_interval_entries = flush_rng.between(3, 40);
  SimCluster cluster(sim);

  Nemesis nemesis(cluster, result);
  for (std::uint64_t i = 0; i < options.fault_steps && cluster.violation().empty(); ++i) {
    nemesis.step();
    cluster.step();
  }

  // Faults stop: every node is up, every link works, messages are neither lost nor duplicated
  // and links are FIFO, like TCP. Liveness: a stable leader within kElectionBoundTicks, then
  // proposals at every node decided on every node within kCommitBoundTicks.
  if (cluster.violation().empty()) {
    if (options.narrate) std::printf("  tick %5llu  faults stop: every node restarts, every link heals\n",
                                     static_cast<unsigned long long>(cluster.now()));
    nemesis.heal();
    NetworkFaults calm;
    calm.delay_ticks_max = 3;
    cluster.network().set_faults(calm);
    std::uint64_t healed_at = cluster.now();
    const bool elected = wait_for_settled_leader(cluster, kElectionBoundTicks).has_value();
    result.election_ticks = cluster.now() - healed_at;
    // The amnesia guard's price: nodes with empty storage (one lost its disk, others never got
    // to write anything) cannot tell that they never took part, so they wait for a leader that
    // a read quorum of nodes WITH state established. When too few nodes have state, the cluster
    // waits (for an operator) instead of risking chosen entries: expected, counted, not a bug.
    std::size_t with_state = 0;
    for (NodeId id : cluster.node_ids()) {
      if (cluster.alive(id) && !cluster.status(id).amnesiac) ++with_state;
    }
    const bool amnesia_blocks =
        with_state < cluster.options().nodes / 2 + 1 &&
        (cluster.options().config.read_quorum_size == 0 ||
         with_state < cluster.options().config.read_quorum_size);
    if (!elected && cluster.violation().empty() && amnesia_blocks) {
      result.stuck_on_amnesia = true;
    } else if (!elected && cluster.violation().empty()) {
      result.violation = "liveness: no stable leader " + std::to_string(kElectionBoundTicks) +
                         " ticks after faults stopped\n" + cluster.describe();
    }
    if (elected) {
      std::vector<paxos::Entry> fresh;
      for (NodeId id : cluster.node_ids()) fresh.push_back(cluster.propose(id));
      const std::uint64_t proposed_at = cluster.now();
      bool committed = cluster.run_until(
          [&] {
            return cluster.decided_converged() &&
                   std::all_of(fresh.begin(), fresh.end(), [&](const paxos::Entry& e) {
                     return !e.empty() && cluster.decided_on_all_live(e);
                   });
          },
          kCommitBoundTicks);
      result.commit_ticks = cluster.now() - proposed_at;
      if (!committed && cluster.violation().empty()) {
        result.violation = "liveness: proposals not decided on every node " +
                           std::to_string(kCommitBoundTicks) + " ticks after a stable leader\n" +
                           cluster.describe();
      }
    }
  }
  if (!cluster.violation().empty()) result.violation = cluster.violation() + "\n" + cluster.describe();
  result.decided = cluster.decided_count();
  result.leader_changes = cluster.leader_changes();
  result.reads = cluster.reads_confirmed();
  result.snapshots_taken = cluster.snapshots_taken();
  result.snapshots_installed = cluster.snapshots_installed();
  result.dropped = cluster.network().dropped();
  result.duplicated = cluster.network().duplicated();
  return result;
}

}  // namespace paxoskv::sim
