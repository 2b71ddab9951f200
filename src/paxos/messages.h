// The messages of Ballot Leader Election and Sequence Paxos, as plain aggregates.
//
// Names follow the OmniPaxos paper (Ng, Haridi, Carbone, EuroSys 2023). Each message has a
// `serialize(Archive&)` template so that the codec in src/common/ can encode it without the core
// depending on any serialization library.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "types.h"

namespace paxoskv::paxos {

// ---- Ballot Leader Election ----

// Sent to every peer at the start of a heartbeat round.
struct HeartbeatRequest {
  std::uint32_t round = 0;
  template <class A>
  void serialize(A& a) {
    a(round);
  }
};

// `ballot` is the replier's own ballot, `leader` the largest ballot it knows to lead, and `happy`
// whether it sees that leader as able to make progress (paper §4, "happy" variant of BLE).
struct HeartbeatReply {
  std::uint32_t round = 0;
  Ballot ballot;
  Ballot leader;
  bool happy = false;
  template <class A>
  void serialize(A& a) {
    a(round, ballot, leader, happy);
  }
};

// ---- Sequence Paxos ----

// New leader -> all: asks for a promise, describing the leader's own log so that followers send
// only the suffix it lacks.
struct Prepare {
  Ballot ballot;
  LogIndex decided_idx;
  Ballot accepted_round;
  LogIndex accepted_idx;
  template <class A>
  void serialize(A& a) {
    a(ballot, decided_idx, accepted_round, accepted_idx);
  }
};

// Follower -> leader. `suffix` holds the entries from `suffix_start` on that the follower has and
// the leader lacks (empty unless the follower's log is more up to date).
struct Promise {
  Ballot ballot;
  Ballot accepted_round;
  LogIndex accepted_idx;
  LogIndex decided_idx;
  LogIndex suffix_start;
  std::vector<Entry> suffix;
  template <class A>
  void serialize(A& a) {
    a(ballot, accepted_round, accepted_idx, decided_idx, suffix_start, suffix);
  }
};

// Leader -> promised follower: replace your log from `sync_idx` on with `suffix`, which runs to
// the end of the leader's log (never a partial batch: see SequencePaxos::send_accept_sync). Starts
// (or restarts) the follower's accept-phase session: `seq` numbers every later message of it.
struct AcceptSync {
  Ballot ballot;
  std::uint64_t seq = 0;
  LogIndex decided_idx;
  LogIndex sync_idx;
  std::vector<Entry> suffix;
  template <class A>
  void serialize(A& a) {
    a(ballot, seq, decided_idx, sync_idx, suffix);
  }
};

// Leader -> follower in the accept phase: new entries starting at `start_idx` (pipelined, and
// batched: one message carries many entries) with the decided index piggybacked.
struct AcceptDecide {
  Ballot ballot;
  std::uint64_t seq = 0;
  LogIndex decided_idx;
  LogIndex start_idx;
  std::vector<Entry> entries;
  template <class A>
  void serialize(A& a) {
    a(ballot, seq, decided_idx, start_idx, entries);
  }
};

// Follower -> leader: my log up to `accepted_idx` is the leader's log of `ballot`, and durable.
struct Accepted {
  Ballot ballot;
  LogIndex accepted_idx;
  template <class A>
  void serialize(A& a) {
    a(ballot, accepted_idx);
  }
};

// Leader -> follower when no entries are pending: advances the decided index. Also sent as a
// keep-alive every resend timeout, so that a follower notices a lost message by its `seq`.
struct Decide {
  Ballot ballot;
  std::uint64_t seq = 0;
  LogIndex decided_idx;
  template <class A>
  void serialize(A& a) {
    a(ballot, seq, decided_idx);
  }
};

// Follower -> leader: I restarted, reconnected or saw a gap; please prepare me again.
struct PrepareReq {
  Ballot promise;
  template <class A>
  void serialize(A& a) {
    a(promise);
  }
};

// Follower -> stale leader: I have promised a higher ballot.
struct NotAccepted {
  Ballot promise;
  template <class A>
  void serialize(A& a) {
    a(promise);
  }
};

// Follower -> leader: proposals a client made at the follower. `session` is the sequence number
// of the AcceptSync that started the follower's accept session and `seq` counts forwards within
// it, so that the leader drops a duplicated or stale forward instead of deciding it twice.
struct ProposalForward {
  Ballot ballot;
  std::uint64_t session = 0;
  std::uint64_t seq = 0;
  std::vector<Entry> entries;
  template <class A>
  void serialize(A& a) {
    a(ballot, session, seq, entries);
  }
};

// ---- Read index (linearizable reads without writing to the log) ----

// Leader -> all: do you still follow `ballot`? One round confirms every read queued before it.
struct ReadQuorumCheck {
  Ballot ballot;
  std::uint64_t round = 0;
  template <class A>
  void serialize(A& a) {
    a(ballot, round);
  }
};

// Follower -> leader: I have promised nothing higher than `ballot`.
struct ReadQuorumAck {
  Ballot ballot;
  std::uint64_t round = 0;
  template <class A>
  void serialize(A& a) {
    a(ballot, round);
  }
};

using Payload = std::variant<HeartbeatRequest, HeartbeatReply, Prepare, Promise, AcceptSync,
                             AcceptDecide, Accepted, Decide, PrepareReq, NotAccepted,
                             ProposalForward, ReadQuorumCheck, ReadQuorumAck>;

struct Message {
  NodeId from;
  NodeId to;
  ConfigId config_id;
  Payload payload;
  template <class A>
  void serialize(A& a) {
    a(from, to, config_id, payload);
  }
};

// A short, stable name for logs and traces ("Prepare", "AcceptDecide", ...).
const char* payload_name(const Payload& payload);

}  // namespace paxoskv::paxos
