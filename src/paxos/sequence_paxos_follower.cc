// Sequence Paxos, follower side: promising, syncing with the leader's log, accepting streamed
// entries, learning decisions, and asking to be prepared again when the stream broke.
#include <algorithm>

#include "assert.h"
#include "sequence_paxos.h"

namespace paxoskv::paxos {

void SequencePaxos::handle_prepare(NodeId from, const Prepare& prepare) {
  // Only a ballot established without us is safe to promise while amnesiac (see start_amnesiac);
  // we stay amnesiac until its leader's log is ours (accept_sync). Say nothing otherwise: we do
  // not know what we promised before, so we cannot refuse either.
  if (amnesiac_ && !(prepare.leader_accepting && rejoin_ballot_is_safe(prepare.ballot))) return;
  if (prepare.ballot < promise_) {
    send(from, NotAccepted{promise_});
    return;
  }
  PAXOS_ASSERT(prepare.ballot.pid == from, "a Prepare comes from its ballot's owner");
  PAXOS_ASSERT(!(role_ == Role::kLeader && prepare.ballot == promise_), "one leader per ballot");
  if (prepare.ballot != promise_) {
    // A new ballot starts a new accept session; sequence numbers of the old one mean nothing.
    last_seq_ = 0;
    promise_ = prepare.ballot;
    if (!amnesiac_) storage_.set_promise(promise_);  // see start_amnesiac
  }
  // Pre-empted: our buffered proposals will go to the new leader once it accepts.
  if (role_ == Role::kLeader) step_down();
  // Whatever snapshot we waited for belonged to a sync or an adoption this Prepare supersedes.
  clear_snapshot_wait();
  // A repeated Prepare of the ballot we already accept in (a resend, or our PrepareReq answered)
  // gets a fresh promise but keeps the session: the leader's AcceptSync will continue it.
  if (!(phase_ == Phase::kAccept && storage_.accepted_round() == promise_)) {
    phase_ = Phase::kPrepare;
    accepted_dirty_ = false;
  }
  prepare_req_sent_ = false;
  ticks_since_prepare_req_ = 0;
  leader_hint_ = from;

  // Send the leader the part of our log it lacks, if ours is more up to date (paper §5.1).
  const Ballot own_round = storage_.accepted_round();
  const LogIndex own_end = storage_.log_end();
  Promise promise{promise_, own_round, own_end, decided_idx_, own_end, {}};
  promise.incarnation = config_.incarnation;
  if (own_round > prepare.accepted_round) {
    // A newer round's log holds every entry decided before it, so it reaches the leader's
    // decided index and the leader can take everything after that from us.
    PAXOS_ASSERT(prepare.decided_idx <= own_end, "newer log shorter than a decided prefix");
    promise.suffix_start = prepare.decided_idx;
  } else if (own_round == prepare.accepted_round && own_end > prepare.accepted_idx) {
    promise.suffix_start = prepare.accepted_idx;
  }
  if (promise.suffix_start < own_end && promise.suffix_start < storage_.compacted_idx()) {
    // We trimmed part of what the leader lacks: it must install our snapshot at the compacted
    // index first (the driver trims only at indices where it keeps a snapshot).
    promise.suffix_start = storage_.compacted_idx();
    promise.from_snapshot = true;
  }
  if (promise.suffix_start < own_end) storage_.read(promise.suffix_start, own_end, promise.suffix);
  send(from, std::move(promise));
}

bool SequencePaxos::append_from(LogIndex start, std::span<const Entry> entries) {
  const LogIndex end = storage_.log_end();
  if (start > end) return false;
  const std::uint64_t overlap = end - start;
  if (overlap < entries.size()) storage_.append(entries.subspan(overlap));
  return true;
}

void SequencePaxos::handle_accept_sync(NodeId from, const AcceptSync& sync) {
  if (sync.ballot != promise_) {
    if (sync.ballot < promise_) send(from, NotAccepted{promise_});
    return;
  }
  PAXOS_ASSERT(role_ == Role::kFollower, "a leader never receives its own AcceptSync");
  if (sync.seq <= last_seq_) return;  // an older session message, overtaken
  if (sync.from_snapshot) {
    if (sync.sync_idx <= decided_idx_) {
      // We decided past the leader's snapshot since promising (a stale sync): ask again.
      request_prepare(from);
      return;
    }
    // Our log cannot be brought up to date from entries alone. Nothing changes until the driver
    // has installed the leader's snapshot; later messages of this session are held meanwhile
    // (hold_until_snapshot) and taken once it is in.
    if (!sync_waiting_for_snapshot_ || sync_waiting_for_snapshot_->seq < sync.seq) {
      sync_waiting_for_snapshot_ = sync;
      snapshot_wanted_ = SnapshotWanted{from, sync.sync_idx};
    }
    return;
  }
  // A later sync that needs no snapshot supersedes one that waited for it.
  clear_snapshot_wait();
  accept_sync(sync);
}

void SequencePaxos::accept_sync(const AcceptSync& sync) {
  const NodeId from = sync.ballot.pid;
  if (storage_.accepted_round() == sync.ballot) {
    // Already accepted in this ballot: our log is a prefix of the leader's.
    if (!append_from(sync.sync_idx, sync.suffix)) {
      request_prepare(from);
      return;
    }
  } else {
    if (sync.sync_idx > storage_.log_end()) {
      // Computed from a promise we made before losing part of our log (a crash): ask again.
      request_prepare(from);
      return;
    }
    // We never accepted in this ballot, so our decided index is the one we promised with.
    PAXOS_ASSERT(sync.sync_idx >= decided_idx_, "AcceptSync would cut decided entries");
    // Rejoining: the promise kept in memory lands in the same batch as the synced log.
    if (amnesiac_) storage_.set_promise(promise_);
    storage_.truncate(sync.sync_idx);
    storage_.append(sync.suffix);
    storage_.set_accepted_round(sync.ballot);
  }
  phase_ = Phase::kAccept;
  // Synced with a leader whose ballot a read quorum established without us: our log now holds
  // everything we might have helped to choose before losing our storage.
  amnesiac_ = false;
  last_seq_ = sync.seq;
  session_ = sync.seq;
  forward_seq_ = 0;
  accepted_dirty_ = true;
  set_decided(std::min(sync.decided_idx, storage_.log_end()));
  // Proposals made here while there was no leader can go to it now.
  for (Entry& e : buffer_) forward_.push_back(std::move(e));
  buffer_.clear();
}

bool SequencePaxos::accept_session_message(NodeId from, const Ballot& ballot, std::uint64_t seq) {
  if (ballot != promise_) {
    if (ballot < promise_) send(from, NotAccepted{promise_});
    return false;
  }
  if (role_ == Role::kLeader) return false;
  if (seq <= last_seq_) return false;  // duplicate or overtaken
  // Older than the sync we wait on (later ones are held: hold_until_snapshot).
  if (sync_waiting_for_snapshot_) return false;
  if (phase_ != Phase::kAccept || seq != last_seq_ + 1) {
    // We missed the AcceptSync or a message in between: the stream cannot be trusted.
    request_prepare(from);
    return false;
  }
  return true;
}

template <class M>
bool SequencePaxos::hold_until_snapshot(const M& m, std::size_t entries) {
  if (!sync_waiting_for_snapshot_ || role_ != Role::kFollower) return false;
  if (m.ballot != promise_ || m.seq <= sync_waiting_for_snapshot_->seq) return false;
  if (held_.overflowed) return true;
  if (held_.messages.size() >= kHeldMessagesMax ||
      held_.entries + entries > config_.pipeline_entries_max) {
    held_ = HeldForSnapshot{};
    held_.overflowed = true;
    return true;
  }
  held_.messages.emplace_back(m);
  held_.entries += entries;
  return true;
}

void SequencePaxos::take_held_messages(NodeId from, HeldForSnapshot held) {
  if (held.overflowed) {
    // Some of the stream is gone: only a new sync can bring us up to date.
    request_prepare(from, /*force=*/true);
    return;
  }
  // In arrival order; each goes through the usual checks, so one overtaken by the sync is
  // dropped and a gap asks for a new prepare round, exactly as if it arrived now.
  for (const auto& m : held.messages) {
    if (const auto* accept = std::get_if<AcceptDecide>(&m)) {
      handle_accept_decide(from, *accept);
    } else {
      handle_decide(from, std::get<Decide>(m));
    }
  }
}

void SequencePaxos::handle_accept_decide(NodeId from, const AcceptDecide& accept) {
  if (hold_until_snapshot(accept, accept.entries.size())) return;
  if (!accept_session_message(from, accept.ballot, accept.seq)) return;
  if (!append_from(accept.start_idx, accept.entries)) {
    request_prepare(from);
    return;
  }
  last_seq_ = accept.seq;
  accepted_dirty_ = true;
  set_decided(std::min(accept.decided_idx, storage_.log_end()));
}

void SequencePaxos::handle_decide(NodeId from, const Decide& decide) {
  if (hold_until_snapshot(decide, 0)) return;
  if (!accept_session_message(from, decide.ballot, decide.seq)) return;
  last_seq_ = decide.seq;
  // Answer even when nothing changed, so a leader that lost our last Accepted learns it again.
  accepted_dirty_ = true;
  set_decided(std::min(decide.decided_idx, storage_.log_end()));
}

void SequencePaxos::request_prepare(NodeId to, bool force) {
  PAXOS_ASSERT(role_ == Role::kFollower, "only followers ask to be prepared");
  phase_ = Phase::kRecover;
  accepted_dirty_ = false;
  if (prepare_req_sent_ && !force && ticks_since_prepare_req_ < config_.resend_timeout_ticks) {
    return;
  }
  prepare_req_sent_ = true;
  ticks_since_prepare_req_ = 0;
  if (to != kNoNode) {
    send(to, PrepareReq{promise_});
  } else {
    for (NodeId peer : peers_) send(peer, PrepareReq{promise_});
  }
}

void SequencePaxos::follower_tick() {
  ++ticks_since_prepare_req_;
  // Waiting to be prepared again: if it takes a resend timeout, ask again, since the request or
  // the answer may have been lost. (After a promise nothing is needed here: the leader resends
  // Prepare until it has our promise, and after a lost AcceptSync its next message reveals the
  // gap.)
  if (phase_ != Phase::kRecover) return;
  if (ticks_since_prepare_req_ < config_.resend_timeout_ticks) return;
  request_prepare(leader());
}

void SequencePaxos::emit_follower(std::vector<Message>& out) {
  if (phase_ != Phase::kAccept) return;
  const NodeId to = promise_.pid;
  if (accepted_dirty_) {
    out.push_back(Message{config_.node_id, to, config_.config_id,
                          Accepted{promise_, storage_.log_end()}});
    accepted_dirty_ = false;
  }
  // Forward in batches no larger than an AcceptDecide, so no single message outgrows the limits.
  std::size_t begin = 0;
  while (begin < forward_.size()) {
    std::size_t end = begin;
    std::size_t bytes = 0;
    while (end < forward_.size() && end - begin < config_.batch_entries_max &&
           (end == begin || bytes + forward_[end].size() <= config_.batch_bytes_max)) {
      bytes += forward_[end].size();
      ++end;
    }
    ProposalForward forward{promise_, session_, ++forward_seq_, {}};
    forward.entries.assign(std::make_move_iterator(forward_.begin() + static_cast<std::ptrdiff_t>(begin)),
                           std::make_move_iterator(forward_.begin() + static_cast<std::ptrdiff_t>(end)));
    out.push_back(Message{config_.node_id, to, config_.config_id, std::move(forward)});
    begin = end;
  }
  forward_.clear();
}

}  // namespace paxoskv::paxos
