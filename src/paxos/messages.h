// The messages of Ballot Leader Election and Sequence Paxos, as plain aggregates.
//
// Names follow the OmniPaxos paper (Ng, Haridi, Carbone, EuroSys 2023). Each message has a
// `serialize(Archive&)` template so that the codec in src/common/ can encode it without the core
// depending on any serialization library.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "types.h"

namespace paxoskv::paxos {

// ---- Ballot Leader Election ----

// Sent to every peer at the start of a heartbeat round.
struct HeartbeatRequest {
  std::uint32_t round = 0;
  std::uint64_t incarnation = 0;  // the sender's Config::incarnation
  template <class A>
  void serialize(A& a) {
    a(round, incarnation);
  }
};

// `ballot` is the replier's own ballot, `leader` the largest ballot it knows to lead, and `happy`
// whether it sees that leader as able to make progress (paper §4, "happy" variant of BLE).
// `fresh`: the replier holds no replicated state at all (see SequencePaxos::fresh); a node that
// lost its storage rejoins at once only if every peer is fresh too (a brand-new cluster).
struct HeartbeatReply {
  std::uint32_t round = 0;
  Ballot ballot;
  Ballot leader;
  bool happy = false;
  bool fresh = false;
  std::uint64_t incarnation = 0;  // the sender's Config::incarnation
  template <class A>
  void serialize(A& a) {
    a(round, ballot, leader, happy, fresh, incarnation);
  }
};

// ---- Sequence Paxos ----

// New leader -> all: asks for a promise, describing the leader's own log so that followers send
// only the suffix it lacks. `leader_accepting`: the leader already completed its prepare phase in
// this ballot (a read quorum promised it) and is preparing a late follower; a node that lost its
// storage promises only such a ballot (SequencePaxos::start_amnesiac).
struct Prepare {
  Ballot ballot;
  LogIndex decided_idx;
  Ballot accepted_round;
  LogIndex accepted_idx;
  bool leader_accepting = false;
  template <class A>
  void serialize(A& a) {
    a(ballot, decided_idx, accepted_round, accepted_idx, leader_accepting);
  }
};

// Follower -> leader. `suffix` holds the entries from `suffix_start` on that the follower has and
// the leader lacks (empty unless the follower's log is more up to date). When the follower trimmed
// part of what the leader lacks, `from_snapshot` is set and `suffix_start` is the follower's
// compacted index: the leader must first install the follower's snapshot taken at that index.
struct Promise {
  Ballot ballot;
  Ballot accepted_round;
  LogIndex accepted_idx;
  LogIndex decided_idx;
  LogIndex suffix_start;
  std::vector<Entry> suffix;
  bool from_snapshot = false;
  std::uint64_t incarnation = 0;  // the promiser's Config::incarnation
  template <class A>
  void serialize(A& a) {
    a(ballot, accepted_round, accepted_idx, decided_idx, suffix_start, suffix, from_snapshot,
      incarnation);
  }
};

// Leader -> promised follower: replace your log from `sync_idx` on with `suffix`, which runs to
// the end of the leader's log (never a partial batch: see SequencePaxos::send_accept_sync). Starts
// (or restarts) the follower's accept-phase session: `seq` numbers every later message of it.
// With `from_snapshot`, the leader has trimmed entries the follower lacks: the follower replaces
// its whole log with the leader's snapshot taken at `sync_idx` (fetched by the driver, outside the
// core) followed by `suffix`, and only then accepts.
struct AcceptSync {
  Ballot ballot;
  std::uint64_t seq = 0;
  LogIndex decided_idx;
  LogIndex sync_idx;
  std::vector<Entry> suffix;
  bool from_snapshot = false;
  template <class A>
  void serialize(A& a) {
    a(ballot, seq, decided_idx, sync_idx, suffix, from_snapshot);
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

// ---- Snapshot transfer ----
// These travel between the drivers of two nodes, on the same links and under the same faults as
// the protocol's messages, but the core never handles them: a node that wants a snapshot
// (SnapshotWanted) pulls it from its source one bounded chunk at a time, then tells its core.

// "Send me the bytes of the snapshot you took at `index`, from `offset` on."
struct SnapshotRequest {
  LogIndex index;
  std::uint64_t offset = 0;
  template <class A>
  void serialize(A& a) {
    a(index, offset);
  }
};

// One chunk of a snapshot file: `data` starts at `offset` of a file of `total_bytes`. `found` is
// false when the sender no longer keeps that snapshot (it took a newer one and pruned it).
struct SnapshotChunk {
  LogIndex index;
  std::uint64_t offset = 0;
  std::uint64_t total_bytes = 0;
  bool found = false;
  std::string data;
  template <class A>
  void serialize(A& a) {
    a(index, offset, total_bytes, found, data);
  }
};

using Payload = std::variant<HeartbeatRequest, HeartbeatReply, Prepare, Promise, AcceptSync,
                             AcceptDecide, Accepted, Decide, PrepareReq, NotAccepted,
                             ProposalForward, ReadQuorumCheck, ReadQuorumAck, SnapshotRequest,
                             SnapshotChunk>;

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

// When the driver may send a message relative to its own storage writes (storage.h, rule 3).
enum class SendRule {
  // States nothing that is stored (heartbeats, read-quorum checks, a follower's ProposalForward
  // of client proposals): send at once, even ahead of messages that wait for a sync. (Forwards
  // are numbered; always sending them at once keeps them in order among themselves.)
  kAnyTime,
  // A leader's AcceptDecide and Decide: they carry entries and a decided index, but the leader
  // counts its own log towards a write quorum only once it is durable (OmniPaxos::made_durable),
  // so a crash before its sync breaks no promise: followers accepted a suffix the leader may
  // lose, as if the leader had crashed a moment before writing it. Sent before the sender's sync,
  // but never ahead of an earlier message of the outbox that waits (the follower checks their
  // sequence numbers).
  kBeforeSyncInOrder,
  // Vouches for the sender's stored state (Promise, Accepted, AcceptSync, Prepare, ...): only
  // once every write made before take_outgoing() is durable.
  kAfterSync,
};
SendRule send_rule(const Payload& payload);

}  // namespace paxoskv::paxos
