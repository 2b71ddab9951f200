// Sequence Paxos: construction, input routing and what both roles share.
#include "sequence_paxos.h"

#include <algorithm>

#include "assert.h"

namespace paxoskv::paxos {

SequencePaxos::SequencePaxos(const Config& config, Storage& storage)
    : config_(config), quorum_(config.quorum()), storage_(storage) {
  PAXOS_ASSERT(config_.validate().empty(), "SequencePaxos needs a validated config");
  for (NodeId n : config_.nodes) {
    if (n != config_.node_id) peers_.push_back(n);
  }
  std::sort(peers_.begin(), peers_.end());
  peer_incarnation_.assign(peers_.size(), 0);
  peer_ballot_.assign(peers_.size(), std::nullopt);
  promise_ = storage_.promise();
  decided_idx_ = storage_.decided_idx();
  PAXOS_ASSERT(decided_idx_ <= storage_.log_end(), "stored decided index beyond the log");
  PAXOS_ASSERT(storage_.compacted_idx() <= decided_idx_, "trimmed entries that were not decided");
  // Whatever this node led or followed before a restart, it must be prepared again before it
  // accepts anything: messages of its old session may be lost.
  request_prepare(kNoNode, /*force=*/true);
}

NodeId SequencePaxos::leader() const {
  if (role_ == Role::kLeader) return config_.node_id;
  const bool promised_other = !promise_.is_zero() && promise_.pid != config_.node_id;
  if (phase_ == Phase::kAccept || leader_hint_ == kNoNode) {
    return promised_other ? promise_.pid : leader_hint_;
  }
  return leader_hint_;
}

bool SequencePaxos::fresh() const {
  // Promises do not count: our own binds only us (and we remember it), and promises we hold from
  // a peer's earlier run are dropped as soon as its new run's heartbeat arrives, which is before
  // we answer that heartbeat with this value (observe_incarnation). An accepted round with an
  // empty log does not count either: what an amnesiac node may have helped to choose sits in the
  // logs of w - 1 >= 1 of its peers for good (a log only ever loses undecided entries, and
  // trimming shows in compacted_idx), so one non-empty log among the peers is what keeps it
  // amnesiac. Counting the round would only keep amnesiac nodes waiting for nothing (a new
  // cluster whose first leader synced its empty log before a node lost its disk).
  return storage_.log_end() == LogIndex(0) && storage_.compacted_idx() == LogIndex(0);
}

void SequencePaxos::observe_incarnation(NodeId peer, std::uint64_t incarnation) {
  auto it = std::find(peers_.begin(), peers_.end(), peer);
  if (it == peers_.end() || incarnation == 0) return;
  std::uint64_t& known = peer_incarnation_[static_cast<std::size_t>(it - peers_.begin())];
  const bool restarted = known != 0 && known != incarnation;
  known = incarnation;
  if (!restarted || role_ != Role::kLeader) return;
  // What its earlier run promised or accepted may be gone with its storage: forget it and prepare
  // the new run from scratch.
  std::erase_if(promises_, [&](const auto& q) { return q.first == peer; });
  if (Progress* p = progress_of(peer)) {
    p->accepted_idx = LogIndex(0);
    send_prepare(peer);
  }
}

void SequencePaxos::end_amnesia() {
  if (!amnesiac_) return;
  amnesiac_ = false;
  // The promise made while amnesiac becomes binding from now on (see start_amnesiac).
  if (!promise_.is_zero()) storage_.set_promise(promise_);
}

void SequencePaxos::observe_peer_ballot(NodeId peer, const Ballot& ballot) {
  auto it = std::find(peers_.begin(), peers_.end(), peer);
  if (it == peers_.end()) return;
  std::optional<Ballot>& known = peer_ballot_[static_cast<std::size_t>(it - peers_.begin())];
  if (!known || *known < ballot) known = ballot;
}

bool SequencePaxos::rejoin_ballot_is_safe(const Ballot& ballot) const {
  const std::size_t needed = quorum_.cluster_size() - quorum_.write_quorum_size() + 1;
  std::size_t heard = 0;
  for (const std::optional<Ballot>& b : peer_ballot_) {
    if (!b) continue;
    ++heard;
    if (*b > ballot) return false;
  }
  return heard >= needed;
}

void SequencePaxos::handle_leader(const Ballot& ballot) {
  if (ballot.pid == config_.node_id) {
    if (amnesiac_) return;  // see start_amnesiac
    if (ballot > promise_) become_leader(ballot);
    return;
  }
  leader_hint_ = ballot.pid;
}

void SequencePaxos::handle(const Message& m) {
  PAXOS_ASSERT(m.to == config_.node_id, "message for another node");
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Prepare>) {
          handle_prepare(m.from, p);
        } else if constexpr (std::is_same_v<T, Promise>) {
          handle_promise(m.from, p);
        } else if constexpr (std::is_same_v<T, AcceptSync>) {
          handle_accept_sync(m.from, p);
        } else if constexpr (std::is_same_v<T, AcceptDecide>) {
          handle_accept_decide(m.from, p);
        } else if constexpr (std::is_same_v<T, Accepted>) {
          handle_accepted(m.from, p);
        } else if constexpr (std::is_same_v<T, Decide>) {
          handle_decide(m.from, p);
        } else if constexpr (std::is_same_v<T, PrepareReq>) {
          handle_prepare_req(m.from);
        } else if constexpr (std::is_same_v<T, NotAccepted>) {
          handle_not_accepted(p);
        } else if constexpr (std::is_same_v<T, ProposalForward>) {
          handle_proposal_forward(m.from, p);
        } else if constexpr (std::is_same_v<T, ReadQuorumCheck>) {
          handle_read_quorum_check(m.from, p);
        } else if constexpr (std::is_same_v<T, ReadQuorumAck>) {
          handle_read_quorum_ack(m.from, p);
        }
        // Heartbeats belong to leader election and never reach Sequence Paxos.
      },
      m.payload);
}

ProposeResult SequencePaxos::append(Entry entry) {
  if (role_ == Role::kLeader && phase_ == Phase::kAccept) {
    storage_.append(std::span<const Entry>(&entry, 1));
    try_decide();
    return ProposeResult::kAccepted;
  }
  if (role_ == Role::kFollower && phase_ == Phase::kAccept) {
    if (forward_.size() >= config_.proposal_buffer_entries_max) return ProposeResult::kBufferFull;
    forward_.push_back(std::move(entry));
    return ProposeResult::kAccepted;
  }
  // No leader in its accept phase that we know of (or we are that leader, still preparing).
  if (buffer_.size() >= config_.proposal_buffer_entries_max) return ProposeResult::kBufferFull;
  buffer_.push_back(std::move(entry));
  return ProposeResult::kAccepted;
}

void SequencePaxos::reconnected(NodeId peer) {
  if (std::find(peers_.begin(), peers_.end(), peer) == peers_.end()) return;
  if (role_ == Role::kLeader) {
    send_prepare(peer);
  } else if (peer == leader()) {
    request_prepare(peer, /*force=*/true);
  }
}

void SequencePaxos::tick() {
  if (role_ == Role::kLeader) {
    leader_tick();
    read_tick();
  } else {
    follower_tick();
  }
}

void SequencePaxos::take_outgoing(std::vector<Message>& out) {
  const bool accepting_leader = role_ == Role::kLeader && phase_ == Phase::kAccept;
  // Reads queued since the last flush share one confirmation round.
  if (accepting_leader && !read_round_in_flight_ && !reads_waiting_.empty()) start_read_round();
  for (Message& m : outgoing_) out.push_back(std::move(m));
  outgoing_.clear();
  if (accepting_leader) {
    emit_accepts(out);
  } else if (role_ == Role::kFollower) {
    emit_follower(out);
  }
}

void SequencePaxos::trim(LogIndex index) {
  PAXOS_ASSERT(index <= decided_idx_, "only decided entries can be trimmed");
  storage_.trim(index);
}

std::optional<SnapshotWanted> SequencePaxos::snapshot_wanted() const { return snapshot_wanted_; }

bool SequencePaxos::snapshot_installed(LogIndex index) {
  if (!snapshot_wanted_ || snapshot_wanted_->index != index) return false;
  PAXOS_ASSERT(index > decided_idx_, "a wanted snapshot is ahead of what we decided");
  if (role_ == Role::kFollower) {
    PAXOS_ASSERT(sync_waiting_for_snapshot_.has_value(), "a follower wants a snapshot for a sync");
    const AcceptSync sync = std::move(*sync_waiting_for_snapshot_);
    HeldForSnapshot held = std::exchange(held_, HeldForSnapshot{});
    clear_snapshot_wait();
    // The snapshot stands for decided entries; the reset and the sync below land in one storage
    // batch, so no crash can leave this node with its log cut but the leader's round not taken.
    storage_.reset_to_snapshot(index);
    set_decided(index);
    accept_sync(sync);
    take_held_messages(sync.ballot.pid, std::move(held));
    return true;
  }
  PAXOS_ASSERT(role_ == Role::kLeader && phase_ == Phase::kPrepare, "a leader wants one to adopt");
  NodeId best_from = kNoNode;
  const Promise* best = best_promise(best_from);
  if (!best || !best->from_snapshot || best->suffix_start != index) {
    // Another promise changed which log is best: adopt (or wait) for that one instead.
    adopt_and_start_accept();
    return false;
  }
  // The reset and the adoption happen in one storage batch (see above).
  storage_.reset_to_snapshot(index);
  set_decided(index);
  adopt_and_start_accept();
  return true;
}

void SequencePaxos::snapshot_failed() {
  if (!snapshot_wanted_) return;
  const NodeId source = snapshot_wanted_->from;
  clear_snapshot_wait();
  if (role_ == Role::kFollower) {
    request_prepare(source, /*force=*/true);
    return;
  }
  // A preparing leader: forget the source's promise and ask it again (it will describe its newer
  // snapshot). The promises left may still make a read quorum to adopt from.
  std::erase_if(promises_, [&](const auto& q) { return q.first == source; });
  send_prepare(source);
  std::size_t promised = 1;
  for (const Progress& q : progress_) promised += q.promised ? 1 : 0;
  if (phase_ == Phase::kPrepare && quorum_.is_read_quorum(promised)) adopt_and_start_accept();
}

void SequencePaxos::clear_snapshot_wait() {
  snapshot_wanted_.reset();
  sync_waiting_for_snapshot_.reset();
  held_ = HeldForSnapshot{};
}

void SequencePaxos::set_decided(LogIndex index) {
  if (index <= decided_idx_) return;
  PAXOS_ASSERT(index <= storage_.log_end(), "decided index beyond the log");
  decided_idx_ = index;
  storage_.set_decided_idx(index);
}

void SequencePaxos::flush_buffer_to_log() {
  PAXOS_ASSERT(role_ == Role::kLeader && phase_ == Phase::kAccept, "only an accepting leader");
  if (buffer_.empty()) return;
  storage_.append(buffer_);
  buffer_.clear();
}

void SequencePaxos::send(NodeId to, Payload payload) {
  PAXOS_ASSERT(to != config_.node_id && to != kNoNode, "send to a peer");
  outgoing_.push_back(Message{config_.node_id, to, config_.config_id, std::move(payload)});
}

}  // namespace paxoskv::paxos
