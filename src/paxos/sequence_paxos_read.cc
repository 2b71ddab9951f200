// Sequence Paxos, read index: linearizable reads without writing to the log.
//
// A read arriving at the leader gets the index up to which the state machine must have applied:
// the decided index, or the end of the log adopted in the prepare phase if that is larger (entries
// a previous leader chose but that this leader has not yet seen decided in its own ballot). Before
// the read may be served, a write quorum must confirm that it still follows the leader's ballot:
// any newer leader's read quorum intersects that write quorum, so no newer leader had completed a
// prepare phase, and hence decided anything, when the read arrived. Reads queued while a round is
// in flight share the next round.
#include <algorithm>

#include "assert.h"
#include "sequence_paxos.h"

namespace paxoskv::paxos {

bool SequencePaxos::read_index(std::uint64_t read_id) {
  if (role_ != Role::kLeader || phase_ != Phase::kAccept) return false;
  reads_waiting_.push_back(ReadResult{read_id, std::max(decided_idx_, adopted_end_), false});
  return true;
}

void SequencePaxos::take_reads(std::vector<ReadResult>& out) {
  for (ReadResult& r : reads_done_) out.push_back(r);
  reads_done_.clear();
}

void SequencePaxos::start_read_round() {
  PAXOS_ASSERT(role_ == Role::kLeader && phase_ == Phase::kAccept, "reads need an accepting leader");
  PAXOS_ASSERT(!read_round_in_flight_ && !reads_waiting_.empty(), "one round at a time");
  ++read_round_;
  read_round_in_flight_ = true;
  read_round_ticks_ = 0;
  read_acks_.clear();
  reads_in_round_.swap(reads_waiting_);
  reads_waiting_.clear();
  for (NodeId peer : peers_) send(peer, ReadQuorumCheck{promise_, read_round_});
  // With a write quorum of one (a single node) our own vote confirms the round.
  handle_read_quorum_ack(config_.node_id, ReadQuorumAck{promise_, read_round_});
}

void SequencePaxos::handle_read_quorum_check(NodeId from, const ReadQuorumCheck& check) {
  if (amnesiac_) return;  // acknowledges nothing until it has rejoined (start_amnesiac)
  if (check.ballot < promise_) {
    send(from, NotAccepted{promise_});
  } else if (check.ballot == promise_ && role_ == Role::kFollower) {
    send(from, ReadQuorumAck{check.ballot, check.round});
  }
  // A higher ballot we have not promised yet: say nothing until its Prepare arrives.
}

void SequencePaxos::handle_read_quorum_ack(NodeId from, const ReadQuorumAck& ack) {
  if (role_ != Role::kLeader || !read_round_in_flight_ || ack.ballot != promise_ ||
      ack.round != read_round_) {
    return;
  }
  if (std::find(read_acks_.begin(), read_acks_.end(), from) == read_acks_.end()) {
    read_acks_.push_back(from);
  }
  if (!quorum_.is_write_quorum(read_acks_.size())) return;
  for (ReadResult& r : reads_in_round_) {
    r.confirmed = true;
    reads_done_.push_back(r);
  }
  reads_in_round_.clear();
  read_round_in_flight_ = false;
}

void SequencePaxos::read_tick() {
  if (!read_round_in_flight_ || ++read_round_ticks_ < config_.resend_timeout_ticks) return;
  // A check or an ack was lost: ask the silent peers again, in the same round.
  read_round_ticks_ = 0;
  for (NodeId peer : peers_) {
    if (std::find(read_acks_.begin(), read_acks_.end(), peer) == read_acks_.end()) {
      send(peer, ReadQuorumCheck{promise_, read_round_});
    }
  }
}

void SequencePaxos::fail_reads() {
  for (auto* reads : {&reads_in_round_, &reads_waiting_}) {
    for (ReadResult& r : *reads) {
      r.confirmed = false;
      reads_done_.push_back(r);
    }
    reads->clear();
  }
  read_round_in_flight_ = false;
}

void SequencePaxos::step_down() {
  PAXOS_ASSERT(role_ == Role::kLeader, "only a leader steps down");
  role_ = Role::kFollower;
  progress_.clear();
  promises_.clear();
  fail_reads();
}

}  // namespace paxoskv::paxos
