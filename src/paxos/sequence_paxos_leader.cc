// Sequence Paxos, leader side: prepare phase, log adoption, AcceptSync, streaming AcceptDecide,
// deciding, and resends.
#include <algorithm>

#include "assert.h"
#include "sequence_paxos.h"

namespace paxoskv::paxos {

void SequencePaxos::become_leader(const Ballot& ballot) {
  PAXOS_ASSERT(ballot.pid == config_.node_id && ballot > promise_, "leader needs a fresh ballot");
  // Taking over again with a higher ballot while leading: reads indexed and acknowledged under the
  // old ballot prove nothing about the new one (a ballot in between may have decided writes).
  if (role_ == Role::kLeader) step_down();
  clear_snapshot_wait();
  promise_ = ballot;
  storage_.set_promise(ballot);
  role_ = Role::kLeader;
  phase_ = Phase::kPrepare;
  resend_ticks_ = 0;
  // Proposals that were on their way to the old leader are now ours to order.
  for (Entry& e : forward_) buffer_.push_back(std::move(e));
  forward_.clear();
  progress_.clear();
  promises_.clear();
  own_durable_end_ = LogIndex(0);  // marks of this ballot will tell
  for (NodeId peer : peers_) {
    Progress p;
    p.node = peer;
    progress_.push_back(p);
  }
  for (NodeId peer : peers_) send_prepare(peer);
  // With a read quorum of one (a single-node cluster) our own promise is enough.
  if (quorum_.is_read_quorum(1)) adopt_and_start_accept();
}

void SequencePaxos::send_prepare(NodeId to) {
  PAXOS_ASSERT(role_ == Role::kLeader, "only a leader prepares");
  Progress* p = progress_of(to);
  if (!p) return;
  p->promised = false;
  p->synced = false;
  p->idle_ticks = 0;
  send(to, Prepare{promise_, decided_idx_, storage_.accepted_round(), storage_.log_end(),
                   phase_ == Phase::kAccept});
}

SequencePaxos::Progress* SequencePaxos::progress_of(NodeId node) {
  for (Progress& p : progress_) {
    if (p.node == node) return &p;
  }
  return nullptr;
}

void SequencePaxos::handle_promise(NodeId from, const Promise& promise) {
  if (role_ != Role::kLeader || promise.ballot != promise_) return;
  if (promise.incarnation != 0) {
    auto it = std::find(peers_.begin(), peers_.end(), from);
    if (it != peers_.end()) {
      const std::uint64_t known = peer_incarnation_[static_cast<std::size_t>(it - peers_.begin())];
      if (known != 0 && known != promise.incarnation) return;  // from an earlier run of `from`
    }
  }
  Progress* p = progress_of(from);
  if (!p) return;
  p->promise = Promise{promise.ballot, promise.accepted_round, promise.accepted_idx,
                       promise.decided_idx, promise.suffix_start, {}};
  p->promised = true;
  if (phase_ == Phase::kPrepare) {
    // Keep the suffix until the quorum is complete; a resent promise replaces the earlier one.
    auto known = std::find_if(promises_.begin(), promises_.end(),
                              [&](const auto& q) { return q.first == from; });
    if (known != promises_.end()) {
      known->second = promise;
    } else {
      promises_.emplace_back(from, promise);
    }
    std::size_t promised = 1;  // ourselves
    for (const Progress& q : progress_) promised += q.promised ? 1 : 0;
    if (quorum_.is_read_quorum(promised)) adopt_and_start_accept();
  } else if (!p->synced) {
    // A late promise: the log is already chosen, bring this follower up to date with it. A
    // promise for a follower already synced since our last Prepare is a duplicate: syncing again
    // would only restart its session.
    send_accept_sync(*p);
  }
}

const Promise* SequencePaxos::best_promise(NodeId& from) const {
  // The most up-to-date log has the largest accepted round, then the most entries (paper §5.1).
  const Promise* best = nullptr;
  Ballot best_round = storage_.accepted_round();
  LogIndex best_end = storage_.log_end();
  for (const auto& [sender, q] : promises_) {
    if (q.accepted_round > best_round ||
        (q.accepted_round == best_round && q.accepted_idx > best_end)) {
      best = &q;
      from = sender;
      best_round = q.accepted_round;
      best_end = q.accepted_idx;
    }
  }
  return best;
}

void SequencePaxos::adopt_and_start_accept() {
  PAXOS_ASSERT(role_ == Role::kLeader && phase_ == Phase::kPrepare, "adopt once, when preparing");
  NodeId best_from = kNoNode;
  const Promise* best = best_promise(best_from);
  if (best && best->from_snapshot && best->suffix_start > decided_idx_) {
    // The better log's owner trimmed part of what we lack: we can adopt only once its snapshot
    // is installed here (snapshot_installed() comes back to this function). Until then we stay
    // in the prepare phase; more promises may still change which log is best.
    snapshot_wanted_ = SnapshotWanted{best_from, best->suffix_start};
    return;
  }
  snapshot_wanted_.reset();
  const Ballot best_round = best ? best->accepted_round : storage_.accepted_round();
  LogIndex max_decided = decided_idx_;
  for (const auto& [from, q] : promises_) max_decided = std::max(max_decided, q.decided_idx);
  if (best) {
    // The suffix starts where our log stops agreeing with the better one: at our decided index
    // when its round is newer, at our end when it is the same round and longer (or at the
    // sender's snapshot, already installed here).
    PAXOS_ASSERT(best->suffix_start >= decided_idx_, "adoption would cut decided entries");
    PAXOS_ASSERT(best->suffix_start <= storage_.log_end(), "adopted suffix leaves a hole");
    PAXOS_ASSERT(best->suffix_start + best->suffix.size() == best->accepted_idx,
                 "promise suffix does not reach the promised end");
    storage_.truncate(best->suffix_start);
    storage_.append(best->suffix);
  }
  // Every decided entry is in the adopted log: a write quorum accepted it and our read quorum
  // intersects that write quorum, and the newest round's log extends every older choice.
  PAXOS_ASSERT(max_decided <= storage_.log_end(), "adopted log lacks a decided entry");
  adopted_round_ = best_round;
  adopted_end_ = storage_.log_end();
  promises_.clear();

  storage_.set_accepted_round(promise_);
  phase_ = Phase::kAccept;
  set_decided(max_decided);
  flush_buffer_to_log();
  for (Progress& p : progress_) {
    if (p.promised) send_accept_sync(p);
  }
  try_decide();
}

LogIndex SequencePaxos::sync_point(const Progress& follower) const {
  const Promise& q = follower.promise;
  // Within one round every acceptor's log is a prefix of that round's leader log. A follower
  // that accepted in our ballot holds a prefix of our log; one of the adopted round agrees with
  // us up to the adopted end; any other agrees only on what it knows is decided.
  if (q.accepted_round == promise_) return q.accepted_idx;
  if (q.accepted_round == adopted_round_) return std::min(q.accepted_idx, adopted_end_);
  return q.decided_idx;
}

void SequencePaxos::read_batch(LogIndex from, LogIndex to, std::vector<Entry>& out) const {
  PAXOS_ASSERT(from < to, "a batch holds at least one entry");
  to = std::min(to, from + config_.batch_entries_max);
  const std::size_t first = out.size();
  storage_.read(from, to, out);
  std::size_t bytes = 0;
  for (std::size_t i = first; i < out.size(); ++i) {
    bytes += out[i].size();
    if (bytes > config_.batch_bytes_max && i > first) {
      out.resize(i);
      break;
    }
  }
}

void SequencePaxos::send_accept_sync(Progress& p) {
  const LogIndex sync_idx = sync_point(p);
  PAXOS_ASSERT(sync_idx <= storage_.log_end(), "sync point beyond the leader's log");
  PAXOS_ASSERT(sync_idx >= p.promise.decided_idx || p.promise.accepted_round == promise_,
               "sync point below what the follower decided");
  AcceptSync sync{promise_, ++p.seq, decided_idx_, sync_idx, {}};
  if (sync_idx < storage_.compacted_idx()) {
    // We trimmed entries it lacks: it takes our snapshot at the compacted index (the driver trims
    // only at indices where it keeps a snapshot) and the log from there.
    sync.sync_idx = storage_.compacted_idx();
    sync.from_snapshot = true;
  }
  // The whole suffix, never a batch of it: a follower that takes our round must hold every entry
  // chosen before it. A follower holding our round with only part of our log could later win an
  // adoption and lose chosen entries (found by the simulator, seed 3, when this was batched).
  storage_.read(sync.sync_idx, storage_.log_end(), sync.suffix);
  p.synced = true;
  p.next_idx = sync.sync_idx + sync.suffix.size();
  p.decided_sent = decided_idx_;
  p.idle_ticks = 0;
  send(p.node, std::move(sync));
}

void SequencePaxos::handle_accepted(NodeId from, const Accepted& accepted) {
  if (role_ != Role::kLeader || phase_ != Phase::kAccept || accepted.ballot != promise_) return;
  Progress* p = progress_of(from);
  if (!p) return;
  PAXOS_ASSERT(accepted.accepted_idx <= storage_.log_end(), "follower accepted beyond our log");
  if (accepted.accepted_idx <= p->accepted_idx) return;
  p->accepted_idx = accepted.accepted_idx;
  try_decide();
}

void SequencePaxos::try_decide() {
  if (role_ != Role::kLeader || phase_ != Phase::kAccept) return;
  // The largest index that a write quorum has accepted, durably, in this ballot. Our own log
  // counts only as far as the driver reported it durable: AcceptDecide may leave before our own
  // sync (messages.h, SendRule), so the rest of it could still vanish in a crash.
  std::vector<LogIndex>& accepted = decide_scratch_;  // reused: this runs for every Accepted
  accepted.clear();
  accepted.push_back(std::min(own_durable_end_, storage_.log_end()));
  for (const Progress& p : progress_) accepted.push_back(p.accepted_idx);
  const std::size_t w = quorum_.write_quorum_size();
  PAXOS_ASSERT(w >= 1 && w <= accepted.size(), "write quorum fits the cluster");
  std::nth_element(accepted.begin(), accepted.begin() + static_cast<std::ptrdiff_t>(w - 1),
                   accepted.end(), std::greater<>());
  set_decided(accepted[w - 1]);
}

void SequencePaxos::made_durable(const DurabilityMark& mark) {
  // Only a mark of our own accepted round counts: its log prefix is the one we are extending. A
  // mark sealed before the adoption (another round) or in an earlier ballot says nothing of it.
  if (role_ != Role::kLeader || phase_ != Phase::kAccept || mark.round != promise_ ||
      storage_.accepted_round() != promise_ || mark.end <= own_durable_end_) {
    return;
  }
  PAXOS_ASSERT(mark.end <= storage_.log_end(), "a durable mark beyond our log");
  own_durable_end_ = mark.end;
  try_decide();
}

void SequencePaxos::handle_prepare_req(NodeId from) {
  if (role_ == Role::kLeader) send_prepare(from);
}

void SequencePaxos::handle_not_accepted(const NotAccepted& rejection) {
  if (role_ != Role::kLeader || rejection.promise <= promise_) return;
  // Someone promised a higher ballot: we no longer lead. Leader election learns of the ballot
  // from the facade; we wait to be prepared by whoever leads now.
  step_down();
  clear_snapshot_wait();
  phase_ = Phase::kRecover;
  leader_hint_ = rejection.promise.pid;
}

void SequencePaxos::handle_proposal_forward(NodeId from, const ProposalForward& forward) {
  // Only the accept session the follower forwarded in may take the entries, once. Anything else
  // (a stale leader, an old session, a duplicate) is dropped, exactly as if it had been lost on the
  // wire: the client retries, and deciding an entry twice is never an option.
  if (role_ != Role::kLeader || phase_ != Phase::kAccept || forward.ballot != promise_) return;
  Progress* p = progress_of(from);
  // Forwards are numbered (session, seq), increasing on the follower's FIFO link; anything not
  // beyond the last one taken is a duplicate.
  if (!p || std::pair(forward.session, forward.seq) <= std::pair(p->forward_session, p->forward_seq)) {
    return;
  }
  p->forward_session = forward.session;
  p->forward_seq = forward.seq;
  storage_.append(forward.entries);
  p->forwarded_end = storage_.log_end();
  try_decide();
}

void SequencePaxos::leader_tick() {
  decide_due_ = true;
  for (Progress& p : progress_) ++p.idle_ticks;
  if (++resend_ticks_ < config_.resend_timeout_ticks) return;
  resend_ticks_ = 0;
  for (Progress& p : progress_) {
    if (!p.promised) send_prepare(p.node);
  }
}

void SequencePaxos::emit_accepts(std::vector<Message>& out) {
  const LogIndex end = storage_.log_end();
  for (Progress& p : progress_) {
    if (!p.synced) continue;
    if (p.next_idx < storage_.compacted_idx()) {
      // It fell so far behind that we trimmed what it needs next: sync it again from a snapshot.
      send_prepare(p.node);
      continue;
    }
    bool sent = false;
    // Pipelining: keep sending while the follower's unacknowledged window has room.
    while (p.next_idx < end) {
      const LogIndex limit = std::min(end, p.accepted_idx + config_.pipeline_entries_max);
      if (limit <= p.next_idx) break;
      AcceptDecide accept{promise_, ++p.seq, decided_idx_, p.next_idx, {}};
      read_batch(p.next_idx, limit, accept.entries);
      p.next_idx = p.next_idx + accept.entries.size();
      out.push_back(Message{config_.node_id, p.node, config_.config_id, std::move(accept)});
      sent = true;
    }
    // A decided index that no AcceptDecide carries waits for the next tick, or for the next
    // AcceptDecide if one comes first (at one write in flight, the next write's, a round trip to
    // the client later). Telling it at once would wake every follower a second time per write,
    // right when the cores are needed for the answer and the next request; followers only apply
    // what they are told, which nothing waits for, except a follower whose forwarded entries
    // were decided: its clients wait, so it is told at once.
    const bool tell_decided = decided_idx_ > p.decided_sent &&
                              (decide_due_ || p.forwarded_end > p.decided_sent);
    if (!sent && (tell_decided || p.idle_ticks >= config_.resend_timeout_ticks)) {
      // Nothing to stream: tell the decided index, or keep the session alive so that a follower
      // that missed our last message finds out by the sequence number.
      out.push_back(Message{config_.node_id, p.node, config_.config_id,
                            Decide{promise_, ++p.seq, decided_idx_}});
      sent = true;
    }
    if (sent) {
      p.decided_sent = decided_idx_;
      p.idle_ticks = 0;
    }
  }
  decide_due_ = false;
}

}  // namespace paxoskv::paxos
