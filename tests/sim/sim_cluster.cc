#include "sim_cluster.h"

#include "paxos/assert.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace paxoskv::sim {

using paxos::Ballot;
using paxos::Entry;
using paxos::LogIndex;
using paxos::NodeId;
using paxos::Phase;
using paxos::Role;

namespace {
unsigned long long ull(std::uint64_t v) { return v; }
}  // namespace

std::string to_string(const Ballot& b) {
  return "(" + std::to_string(b.n) + "," + std::to_string(b.priority) + "," +
         std::to_string(b.pid.value()) + ")";
}

SimCluster::SimCluster(SimOptions options)
    : options_(std::move(options)), rng_(options_.seed), network_(rng_) {
  std::unordered_set<std::uint64_t> used;
  while (ids_.size() < options_.nodes) {
    std::uint64_t id = options_.dense_node_ids ? ids_.size() + 1 : rng_.between(1, 1000);
    if (used.insert(id).second) ids_.push_back(NodeId(id));
  }
  std::sort(ids_.begin(), ids_.end());
  for (NodeId id : ids_) {
    auto n = std::make_unique<Node>();
    n->id = id;
    nodes_.push_back(std::move(n));
  }
  // Every node starts on new storage, exactly like a server on a new data directory: amnesiac
  // until it sees that every peer is new too.
  for (auto& n : nodes_) {
    n->replica = std::make_unique<paxos::OmniPaxos>(config_for(n->id), n->storage);
    n->replica->start_amnesiac();
  }
}

paxos::Config SimCluster::config_for(NodeId id) {
  paxos::Config c = options_.config;
  c.node_id = id;
  c.nodes = ids_;
  c.incarnation = rng_.between(1, std::uint64_t{1} << 62);  // a new one at every (re)start
  return c;
}


SimCluster::Node& SimCluster::node(NodeId id) {
  for (auto& n : nodes_) {
    if (n->id == id) return *n;
  }
  PAXOS_ASSERT(false, "unknown simulated node");
  std::abort();
}

const SimCluster::Node& SimCluster::node(NodeId id) const {
  return const_cast<SimCluster*>(this)->node(id);
}

bool SimCluster::alive(NodeId id) const { return node(id).replica != nullptr; }

const paxos::OmniPaxos* SimCluster::replica(NodeId id) const { return node(id).replica.get(); }

paxos::Status SimCluster::status(NodeId id) const {
  const Node& n = node(id);
  PAXOS_ASSERT(n.replica, "status of a crashed node");
  return n.replica->status();
}

// ---- time ----

void SimCluster::step() {
  if (!violation_.empty()) return;
  ++now_;
  for (paxos::Message& m : network_.take_due(now_)) {
    Node& n = node(m.to);
    if (!n.replica) continue;  // lost: the destination is down
    if (options_.trace) trace_message(m);
    n.replica->handle(m);
    if (rng_.chance(options_.eager_flush_rate)) flush(n);
  }
  advance_transfers();
  for (auto& n : nodes_) {
    if (n->replica) n->replica->tick();
  }
  for (auto& n : nodes_) {
    if (n->replica && rng_.chance(options_.end_of_step_flush_rate)) flush(*n);
  }
  check_step();
}

void SimCluster::run(std::uint64_t ticks) {
  for (std::uint64_t i = 0; i < ticks && violation_.empty(); ++i) step();
}

bool SimCluster::run_until(const std::function<bool()>& done, std::uint64_t max_ticks) {
  for (std::uint64_t i = 0; i < max_ticks; ++i) {
    if (done()) return true;
    if (!violation_.empty()) return false;
    step();
  }
  return done();
}

// The driver's half of the durability contract (storage.h, rule 3; messages.h, SendRule): take
// the outbox and send what may leave before the sync, in order; then make storage durable, at once
// or at a later flush, and only then send the rest. Like the server (Node::pump), a message that
// waits only for a new decided index to be synced leaves at once: no message vouches for it.
void SimCluster::flush(Node& n) {
  scratch_out_.clear();
  n.replica->take_outgoing(scratch_out_);
  const bool must_sync_first = n.storage.dirty_beyond_decided_idx();
  for (paxos::Message& m : scratch_out_) {
    const paxos::SendRule rule = paxos::send_rule(m.payload);
    if (rule == paxos::SendRule::kAnyTime ||
        (rule == paxos::SendRule::kBeforeSyncInOrder && n.held.empty()) ||
        (rule == paxos::SendRule::kAfterSync && n.held.empty() && !must_sync_first)) {
      network_.send(std::move(m), now_);
    } else {
      n.held.push_back(std::move(m));
    }
  }
  // Decided entries are applied at once: a decided index counts durable acceptances only.
  check_decided(n);
  if (rng_.chance(options_.sync_rate)) sync(n);
}

void SimCluster::sync(Node& n) {
  const paxos::DurabilityMark mark = n.replica->durability_mark();
  n.storage.sync();
  n.replica->made_durable(mark);  // may decide (a leader's own log now counts)
  for (paxos::Message& m : n.held) network_.send(std::move(m), now_);
  n.held.clear();
  check_decided(n);
  if (n.storage.durable().promise() < n.durable_promise) {
    fail("promise decreased on node " + std::to_string(n.id.value()) + ": " +
         to_string(n.durable_promise) + " -> " + to_string(n.storage.durable().promise()));
  }
  n.durable_promise = n.storage.durable().promise();
  maybe_snapshot(n);
  // Linearizable reads: a confirmed read index covers every entry decided before it was asked.
  scratch_reads_.clear();
  n.replica->take_reads(scratch_reads_);
  for (const paxos::ReadResult& r : scratch_reads_) {
    auto it = reads_.find(r.read_id);
    if (it == reads_.end()) {
      fail("read " + std::to_string(r.read_id) + " answered twice or never asked");
      return;
    }
    if (r.confirmed && r.read_idx.value() < it->second) {
      fail("stale read index " + std::to_string(r.read_idx.value()) + " on node " +
           std::to_string(n.id.value()) + ": " + std::to_string(it->second) +
           " entries were decided before the read");
      return;
    }
    if (r.confirmed) ++reads_confirmed_;
    reads_.erase(it);
  }
}

bool SimCluster::read(NodeId id) {
  Node& n = node(id);
  if (!n.replica) return false;
  const std::uint64_t read_id = next_read_id_++;
  if (!n.replica->read_index(read_id)) return false;
  reads_.emplace(read_id, chosen_.size());
  return true;
}

// Decided prefixes agree on all nodes, a decided entry never changes, and every decided entry
// was proposed by a client and is decided at most once.
void SimCluster::check_decided(Node& n) {
  const LogIndex decided = n.replica->decided_idx();
  // After a restart from a snapshot (or an installed one) the state machine may be ahead of what
  // the log has decided so far: it waits.
  if (decided <= n.checked_upto) return;
  scratch_entries_.clear();
  n.replica->read_decided(n.checked_upto, scratch_entries_);
  for (std::size_t k = 0; k < scratch_entries_.size(); ++k) {
    const std::uint64_t i = n.checked_upto.value() + k;
    const Entry& e = scratch_entries_[k];
    if (i < chosen_.size()) {
      if (chosen_[i] != e) {
        fail("node " + std::to_string(n.id.value()) + " decided '" + e + "' at index " +
             std::to_string(i) + " where '" + chosen_[i] + "' was decided");
        return;
      }
      continue;
    }
    if (!proposed_.count(e)) {
      fail("decided entry '" + e + "' at index " + std::to_string(i) + " was never proposed");
      return;
    }
    if (!chosen_index_.emplace(e, i).second) {
      fail("entry '" + e + "' decided twice, at " + std::to_string(chosen_index_[e]) + " and " +
           std::to_string(i));
      return;
    }
    chosen_.push_back(e);
  }
  n.checked_upto = decided;
}

void SimCluster::check_step() {
  if (options_.narrate && chosen_.size() >= narrated_decided_ + 100) {
    narrated_decided_ = chosen_.size() / 100 * 100;
    narrate(std::to_string(chosen_.size()) + " entries decided");
  }
  for (auto& n : nodes_) {
    if (!n->storage.violation().empty()) {
      fail("storage contract broken on node " + std::to_string(n->id.value()) + ": " +
           n->storage.violation());
      return;
    }
    if (!n->replica) continue;
    const paxos::Status s = n->replica->status();
    if (s.decided_idx > s.log_end) {
      fail("node " + std::to_string(n->id.value()) + " decided beyond its log end");
      return;
    }
    if (s.compacted_idx > s.decided_idx) {
      fail("node " + std::to_string(n->id.value()) + " trimmed entries it has not decided");
      return;
    }
    if (s.promise < n->storage.durable().promise()) {
      fail("node " + std::to_string(n->id.value()) + " promise below its durable promise");
      return;
    }
    if (s.role == Role::kLeader && s.phase == Phase::kAccept &&
        std::find(leader_ballots_.begin(), leader_ballots_.end(), s.promise) ==
            leader_ballots_.end()) {
      leader_ballots_.push_back(s.promise);
      narrate("node " + std::to_string(n->id.value()) + " leads with ballot " +
              to_string(s.promise) + " (decided " + std::to_string(s.decided_idx.value()) + ")");
    }
  }
}

void SimCluster::narrate(const std::string& line) const {
  if (options_.narrate) std::printf("  tick %5llu  %s\n", ull(now_), line.c_str());
}

void SimCluster::fail(std::string what) {
  if (violation_.empty()) violation_ = "tick " + std::to_string(now_) + ": " + std::move(what);
}

void SimCluster::trace_message(const paxos::Message& m) const {
  std::string detail = std::visit(
      [](const auto& p) -> std::string {
        using T = std::decay_t<decltype(p)>;
        using namespace paxos;
        if constexpr (std::is_same_v<T, Prepare>) {
          return to_string(p.ballot) + " dec=" + std::to_string(p.decided_idx.value()) + " acc=" +
                 to_string(p.accepted_round) + " end=" + std::to_string(p.accepted_idx.value());
        } else if constexpr (std::is_same_v<T, Promise>) {
          return to_string(p.ballot) + " acc=" + to_string(p.accepted_round) + " end=" +
                 std::to_string(p.accepted_idx.value()) + " dec=" +
                 std::to_string(p.decided_idx.value()) + " suffix@" +
                 std::to_string(p.suffix_start.value()) + "+" + std::to_string(p.suffix.size()) +
                 (p.from_snapshot ? " from-snapshot" : "");
        } else if constexpr (std::is_same_v<T, AcceptSync>) {
          return to_string(p.ballot) + " seq=" + std::to_string(p.seq) + " dec=" +
                 std::to_string(p.decided_idx.value()) + " sync@" +
                 std::to_string(p.sync_idx.value()) + "+" + std::to_string(p.suffix.size()) +
                 (p.from_snapshot ? " from-snapshot" : "");
        } else if constexpr (std::is_same_v<T, AcceptDecide>) {
          return to_string(p.ballot) + " seq=" + std::to_string(p.seq) + " dec=" +
                 std::to_string(p.decided_idx.value()) + " @" + std::to_string(p.start_idx.value()) +
                 "+" + std::to_string(p.entries.size());
        } else if constexpr (std::is_same_v<T, Accepted>) {
          return to_string(p.ballot) + " acc=" + std::to_string(p.accepted_idx.value());
        } else if constexpr (std::is_same_v<T, Decide>) {
          return to_string(p.ballot) + " seq=" + std::to_string(p.seq) + " dec=" +
                 std::to_string(p.decided_idx.value());
        } else if constexpr (std::is_same_v<T, HeartbeatReply>) {
          return "r" + std::to_string(p.round) + " b=" + to_string(p.ballot) + " l=" +
                 to_string(p.leader) + (p.happy ? " happy" : " unhappy");
        } else if constexpr (std::is_same_v<T, ProposalForward>) {
          return to_string(p.ballot) + " session=" + std::to_string(p.session) +
                 " seq=" + std::to_string(p.seq) + " n=" + std::to_string(p.entries.size());
        } else if constexpr (std::is_same_v<T, PrepareReq> || std::is_same_v<T, NotAccepted>) {
          return to_string(p.promise);
        } else {
          return "";
        }
      },
      m.payload);
  if (std::holds_alternative<paxos::HeartbeatRequest>(m.payload)) {
    detail = "r" + std::to_string(std::get<paxos::HeartbeatRequest>(m.payload).round);
  }
  std::fprintf(stderr, "%llu %llu->%llu %s %s\n", ull(now_), ull(m.from.value()),
               ull(m.to.value()), paxos::payload_name(m.payload), detail.c_str());
}

// A real driver writes the snapshot durably, then trims; it trims at the previous snapshot (or,
// here half of the time, at the new one) so that its log always starts at a snapshot it keeps,
// and drops snapshots only below what its durable log no longer holds.
void SimCluster::maybe_snapshot(Node& n) {
  if (options_.snapshot_interval_entries == 0 || !n.replica) return;
  // Never beyond the durable decided index, as in the server (Snapshotter): a restart finds the
  // snapshot's entries decided in its own log, so only a transferred snapshot ever resets a log.
  const LogIndex at = std::min({n.checked_upto, n.replica->decided_idx(),
                                n.storage.durable().decided_idx()});
  if (at < n.last_snapshot + options_.snapshot_interval_entries) return;
  n.snapshots.insert(at);
  n.last_snapshot = at;
  ++snapshots_taken_;
  LogIndex trim_at = at;
  if (rng_.chance(0.5)) {
    auto it = n.snapshots.find(at);
    trim_at = it == n.snapshots.begin() ? n.replica->compacted_idx() : *std::prev(it);
  }
  if (trim_at > n.replica->compacted_idx()) n.replica->trim(trim_at);
  const LogIndex keep_from = std::min(n.storage.durable().compacted_idx(), n.replica->compacted_idx());
  while (!n.snapshots.empty() && *n.snapshots.begin() < keep_from) n.snapshots.erase(n.snapshots.begin());
}

// Snapshot transfers: one per node at a time, for whatever its core currently wants.
void SimCluster::advance_transfers() {
  for (auto& np : nodes_) {
    Node& n = *np;
    if (!n.replica) continue;
    const std::optional<paxos::SnapshotWanted> wanted = n.replica->snapshot_wanted();
    if (!wanted) {
      n.transfer.reset();
      continue;
    }
    if (n.transfer != wanted) {
      n.transfer = wanted;
      n.transfer_due = now_ + rng_.between(1, options_.snapshot_transfer_ticks_max);
      continue;
    }
    if (now_ < n.transfer_due) continue;
    n.transfer.reset();
    const Node& source = node(wanted->from);
    const bool reachable = source.replica && network_.connected(source.id, n.id) &&
                           network_.connected(n.id, source.id);
    if (!reachable || !source.snapshots.count(wanted->index)) {
      if (options_.trace) {
        std::fprintf(stderr, "%llu snapshot %llu from %llu to %llu failed\n", ull(now_),
                     ull(wanted->index.value()), ull(wanted->from.value()), ull(n.id.value()));
      }
      n.replica->snapshot_failed();
      continue;
    }
    if (wanted->index.value() > chosen_.size()) {
      fail("node " + std::to_string(source.id.value()) + " holds a snapshot at " +
           std::to_string(wanted->index.value()) + " beyond the chosen log");
      return;
    }
    // The snapshot is durable here first, the state machine restored from it, then the core told.
    n.snapshots.insert(wanted->index);
    n.checked_upto = wanted->index;
    n.last_snapshot = std::max(n.last_snapshot, wanted->index);
    ++snapshots_installed_;
    if (options_.trace) {
      std::fprintf(stderr, "%llu snapshot %llu from %llu installed on %llu\n", ull(now_),
                   ull(wanted->index.value()), ull(wanted->from.value()), ull(n.id.value()));
    }
    narrate("node " + std::to_string(n.id.value()) + " installs the snapshot at " +
            std::to_string(wanted->index.value()) + " from node " +
            std::to_string(wanted->from.value()));
    n.replica->snapshot_installed(wanted->index);
  }
}

// ---- faults ----

void SimCluster::crash(NodeId id) {
  Node& n = node(id);
  if (!n.replica) return;
  if (options_.trace) std::fprintf(stderr, "%llu crash %llu\n", ull(now_), ull(id.value()));
  narrate("node " + std::to_string(id.value()) + " crashes (unsynced writes are lost)");
  n.replica.reset();  // the outbox and every unsynced write are gone
  n.held.clear();
  n.storage.crash();
  // A dead process's connections close, and its peers' drivers report that at once
  // (OmniPaxos::disconnected; the server's PeerNetwork does).
  for (auto& peer : nodes_) {
    if (peer->id == id || !peer->replica || !network_.connected(id, peer->id)) continue;
    peer->replica->disconnected(id);
  }
}

void SimCluster::wipe(NodeId id) {
  crash(id);
  Node& n = node(id);
  narrate("node " + std::to_string(id.value()) + " loses its disk");
  if (options_.trace) std::fprintf(stderr, "%llu wipe %llu\n", ull(now_), ull(id.value()));
  n.storage = testing::FaultyStorage{};
  n.snapshots.clear();
  n.last_snapshot = LogIndex(0);
  n.durable_promise = Ballot{};
}

void SimCluster::restart(NodeId id) {
  Node& n = node(id);
  if (n.replica) return;
  if (options_.trace) std::fprintf(stderr, "%llu restart %llu\n", ull(now_), ull(id.value()));
  narrate("node " + std::to_string(id.value()) + " restarts from its durable state");
  if (n.storage.durable().promise() < n.durable_promise) {
    fail("node " + std::to_string(id.value()) + " lost a durable promise in a crash");
  }
  // The state machine restarts from the newest snapshot (which must cover the trimmed log) and
  // re-checks the durable decided entries after it.
  const LogIndex compacted = n.storage.durable().compacted_idx();
  const LogIndex newest = n.snapshots.empty() ? LogIndex(0) : *n.snapshots.rbegin();
  if (newest < compacted) {
    fail("node " + std::to_string(id.value()) + " trimmed its log to " +
         std::to_string(compacted.value()) + " but its newest snapshot is at " +
         std::to_string(newest.value()));
  }
  n.replica = std::make_unique<paxos::OmniPaxos>(config_for(id), n.storage);
  // What the server does: storage with nothing in it may have been lost, not merely never written.
  if (paxos::holds_nothing(n.storage.durable())) n.replica->start_amnesiac();
  n.checked_upto = newest;
  n.last_snapshot = newest;
  n.transfer.reset();
  for (auto& peer : nodes_) {
    if (peer->id == id || !peer->replica || !network_.connected(id, peer->id)) continue;
    peer->replica->reconnected(id);
    n.replica->reconnected(peer->id);
  }
}

void SimCluster::cut(NodeId from, NodeId to) { network_.cut(from, to); }

void SimCluster::cut_both(NodeId a, NodeId b) {
  network_.cut(a, b);
  network_.cut(b, a);
}

void SimCluster::restore_both(NodeId a, NodeId b) {
  const bool was_connected = network_.connected(a, b);
  network_.restore(a, b);
  network_.restore(b, a);
  if (was_connected) return;
  if (Node& x = node(a); x.replica) x.replica->reconnected(b);
  if (Node& y = node(b); y.replica) y.replica->reconnected(a);
}

void SimCluster::isolate(NodeId id) {
  narrate("node " + std::to_string(id.value()) + " is cut off from everyone");
  for (NodeId other : ids_) {
    if (other != id) cut_both(id, other);
  }
}

void SimCluster::heal_network() {
  if (!network_.cuts().empty()) narrate("the network heals");
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    for (std::size_t j = i + 1; j < ids_.size(); ++j) restore_both(ids_[i], ids_[j]);
  }
  network_.restore_all();
}

// ---- clients ----

Entry SimCluster::propose(NodeId id) {
  Entry e = "e" + std::to_string(next_proposal_++);
  // Vary the size a little so that byte limits on batches get exercised.
  e.append(rng_.below(24), '.');
  return propose(id, e) ? e : Entry{};
}

bool SimCluster::propose(NodeId id, const Entry& entry) {
  Node& n = node(id);
  if (!n.replica) return false;
  if (options_.trace) {
    std::fprintf(stderr, "%llu propose at %llu: %s\n", ull(now_), ull(id.value()), entry.c_str());
  }
  proposed_.insert(entry);
  return n.replica->append(entry) == paxos::ProposeResult::kAccepted;
}

// ---- observation ----

std::optional<NodeId> SimCluster::leader() const {
  std::optional<NodeId> best;
  Ballot best_ballot;
  for (auto& n : nodes_) {
    if (!n->replica) continue;
    const paxos::Status s = n->replica->status();
    if (s.role == Role::kLeader && s.phase == Phase::kAccept && (!best || s.promise > best_ballot)) {
      best = n->id;
      best_ballot = s.promise;
    }
  }
  return best;
}

std::optional<NodeId> SimCluster::stable_leader() const {
  auto l = leader();
  if (!l) return std::nullopt;
  const Ballot ballot = node(*l).replica->status().promise;
  for (auto& n : nodes_) {
    if (!n->replica) continue;
    const paxos::Status s = n->replica->status();
    if (s.phase != Phase::kAccept || s.promise != ballot) return std::nullopt;
    // Leader election agrees and sees the leader healthy, so nobody is about to take over.
    if (s.elected != ballot || !s.happy) return std::nullopt;
  }
  return l;
}

bool SimCluster::decided_on(NodeId id, const Entry& entry) const {
  const Node& n = node(id);
  auto it = chosen_index_.find(entry);
  return n.replica && it != chosen_index_.end() && n.checked_upto.value() > it->second;
}

bool SimCluster::decided_on_all_live(const Entry& entry) const {
  for (auto& n : nodes_) {
    if (n->replica && !decided_on(n->id, entry)) return false;
  }
  return true;
}

bool SimCluster::decided_converged() const {
  std::optional<LogIndex> d;
  for (auto& n : nodes_) {
    if (!n->replica) continue;
    if (d && *d != n->replica->decided_idx()) return false;
    d = n->replica->decided_idx();
  }
  return true;
}

std::string SimCluster::describe() const {
  std::ostringstream out;
  for (auto& n : nodes_) {
    out << "  node " << n->id.value() << ": ";
    if (!n->replica) {
      out << "down\n";
      continue;
    }
    const paxos::Status s = n->replica->status();
    static const char* kPhase[] = {"recover", "prepare", "accept"};
    out << (s.role == Role::kLeader ? "leader" : "follower") << "/"
        << kPhase[static_cast<int>(s.phase)] << " promise=" << to_string(s.promise)
        << " elected=" << to_string(s.elected) << (s.happy ? " happy" : " unhappy")
        << " decided=" << s.decided_idx.value() << " log_end=" << s.log_end.value()
        << " compacted=" << s.compacted_idx.value() << " applied=" << n->checked_upto.value()
        << (s.waiting_for_snapshot ? " waiting-for-snapshot" : "")
        << " buffered=" << s.buffered_proposals << "\n";
  }
  out << "  cut links:";
  for (auto& [from, to] : network_.cuts()) out << " " << from.value() << "->" << to.value();
  out << "\n";
  return out.str();
}

}  // namespace paxoskv::sim
