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
  promise_ = storage_.promise();
  decided_idx_ = storage_.decided_idx();
  PAXOS_ASSERT(decided_idx_ <= storage_.log_end(), "stored decided index beyond the log");
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

void SequencePaxos::handle_leader(const Ballot& ballot) {
  if (ballot.pid == config_.node_id) {
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
