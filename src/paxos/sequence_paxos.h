// Sequence Paxos: the replicated log of OmniPaxos (paper §5).
//
// A leader elected by Ballot Leader Election runs a prepare phase (Prepare / Promise), adopts the
// most up-to-date log of a read quorum, brings each follower up to date with AcceptSync and then
// streams new entries with AcceptDecide. An index is decided once a write quorum has accepted it
// in the leader's ballot.
//
// Lost or reordered messages never stall the log: every accept-phase message carries a sequence
// number per (ballot, follower), a follower that sees a gap asks to be prepared again
// (PrepareReq), and the leader resends Prepare to silent peers and a keep-alive Decide to the
// others every resend timeout.
//
// Handlers for the two roles live in sequence_paxos_leader.cc and sequence_paxos_follower.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "config.h"
#include "messages.h"
#include "storage.h"

namespace paxoskv::paxos {

enum class Role { kFollower, kLeader };
// kRecover: just started or lost track of the leader's stream; waiting to be prepared again.
enum class Phase { kRecover, kPrepare, kAccept };

// A linearizable read's place in the log: once `confirmed`, a read served from a state machine
// that has applied every entry below `read_idx` sees every write decided before the read was
// requested. Unconfirmed means leadership was lost first: retry at the new leader.
struct ReadResult {
  std::uint64_t read_id = 0;
  LogIndex read_idx;
  bool confirmed = false;
};

// The driver must fetch the snapshot that node `from` took at log index `index` (it stands for the
// entries [0, index)), make it durable, restore its state machine from it, and then call
// snapshot_installed(index); or call snapshot_failed() if `from` no longer has it.
struct SnapshotWanted {
  NodeId from;
  LogIndex index;
  friend bool operator==(const SnapshotWanted&, const SnapshotWanted&) = default;
};

// What one storage batch holds of this node's log: the log of accepted round `round` up to `end`
// (within one round a log only grows, so that prefix never changes). See made_durable.
struct DurabilityMark {
  Ballot round;
  LogIndex end;
};

enum class ProposeResult {
  kAccepted,    // appended, forwarded or buffered; watch decided entries for the outcome
  kBufferFull,  // no leader is taking proposals and the buffer is full: retry later
};

class SequencePaxos {
 public:
  // `storage` must outlive this object. Starts in the recover phase and asks peers to prepare it.
  SequencePaxos(const Config& config, Storage& storage);

  // ---- inputs ----
  // Ballot Leader Election elected `ballot`. If it is this node's, start a prepare phase.
  void handle_leader(const Ballot& ballot);
  void handle(const Message& message);
  ProposeResult append(Entry entry);
  // The connection to `peer` was re-established: messages on the old one may have been lost.
  void reconnected(NodeId peer);
  void tick();
  // Queues a linearizable read (read index, Raft thesis §6.4). Only a leader in its accept phase
  // takes reads: false means "not the leader, ask the leader". Reads queued together share one
  // confirmation round.
  bool read_index(std::uint64_t read_id);
  // Drops the log below `index` (<= decided_idx()): the driver holds a durable snapshot there.
  void trim(LogIndex index);
  // The snapshot this node waits for (see SnapshotWanted), if any. Level-triggered: it stays
  // until installed, failed or no longer useful (for example a new ballot started).
  std::optional<SnapshotWanted> snapshot_wanted() const;
  // The wanted snapshot is durable and the state machine restored from it: replace the log and
  // carry on with what needed it. False (and nothing changes) if it is not wanted any more.
  bool snapshot_installed(LogIndex index);
  // The wanted snapshot cannot be had (the source pruned it, or is gone): start over.
  void snapshot_failed();

  // Amnesia guard. A node whose storage was lost (a wiped or replaced data directory) but which
  // kept its identity may have promised ballots and accepted entries it no longer remembers;
  // promising or accepting anything now could break those promises or drop entries that were
  // chosen with its help. The driver calls start_amnesiac() right after construction when the
  // storage is new. Until it has safely rejoined the node promises nothing, acknowledges no read
  // check and never leads. It promises only a leader that already completed its prepare phase
  // without it (Prepare::leader_accepting), and only if that ballot is at least every ballot known
  // to n - w + 1 peers. Then any write quorum W that chose an entry with our help has a member
  // that reported a ballot >= W's ballot (|W without us| = w - 1, so n - w + 1 of the other n - 1
  // nodes include one of them), and the ballot we join was promised by a read quorum that kept
  // its state and intersects W, after W accepted: its leader's log holds every entry we may have
  // helped to choose. (Without the ballot condition a stale leader, still accepting in an old
  // ballot that everyone else has outgrown, could win us over: the simulator found that one.) It has rejoined once that
  // log is its own (the leader's AcceptSync accepted); until then its empty log must not count in
  // anyone's prepare phase (the simulator found exactly that: a rejoining node promised a second
  // leader before it was synced, and that leader adopted a log without a chosen entry). The one
  // other way out is a brand-new cluster: every peer reports that it holds no state at all
  // (end_amnesia(), from OmniPaxos).
  //
  // Amnesia must survive a crash, so while amnesiac the node writes nothing at all: its promise
  // stays in memory (it is never counted in a prepare quorum, since the leader it promised is
  // already accepting; it only lets that leader sync us) and is written together with the synced
  // log, or when amnesia ends. A restart therefore finds the storage still empty and starts
  // amnesiac again. (Writing the promise at once let a node restart with a promise and an empty
  // log, no longer amnesiac, and promise another leader that then adopted a log without a chosen
  // entry: found by the 3-node sweep.)
  void start_amnesiac() { amnesiac_ = true; }
  // A peer's Config::incarnation, from its heartbeats. A change means it restarted: promises
  // and acknowledgements of its earlier run are dropped and it is prepared again.
  void observe_incarnation(NodeId peer, std::uint64_t incarnation);
  // The largest ballot `peer` said it knows (HeartbeatReply::leader, never below its promise).
  void observe_peer_ballot(NodeId peer, const Ballot& ballot);
  void end_amnesia();
  bool amnesiac() const { return amnesiac_; }
  // This node's log is empty and was never trimmed: it holds nothing that can have been chosen.
  // (Promises and an accepted round may be set: see the comment in fresh().)
  bool fresh() const;

  // Durability of our own log (storage.h, rule 3). The driver takes a mark when it seals a batch
  // of writes and reports it once that batch is durable. A leader counts its own log in a write
  // quorum only up to the reported end, so it may send AcceptDecide before its own sync (see
  // SendRule::kBeforeSyncInOrder) and its fsync overlaps its followers' instead of preceding them.
  DurabilityMark durability_mark() const { return {storage_.accepted_round(), storage_.log_end()}; }
  void made_durable(const DurabilityMark& mark);

  // ---- outputs ----
  void take_outgoing(std::vector<Message>& out);
  // Appends the reads that were confirmed or failed since the last call.
  void take_reads(std::vector<ReadResult>& out);

  // ---- state ----
  Role role() const { return role_; }
  Phase phase() const { return phase_; }
  // The highest ballot promised; while leading, the leader's own ballot.
  const Ballot& promise() const { return promise_; }
  // The node this one believes leads, or kNoNode: itself while leading, else the hint from its
  // promise or from leader election.
  NodeId leader() const;
  LogIndex decided_idx() const { return decided_idx_; }
  LogIndex log_end() const { return storage_.log_end(); }
  LogIndex compacted_idx() const { return storage_.compacted_idx(); }
  std::size_t buffered_proposals() const { return buffer_.size(); }

 private:
  // What the leader knows of one follower in its current ballot.
  struct Progress {
    NodeId node;
    bool promised = false;
    Promise promise;  // the latest promise, without its suffix
    bool synced = false;           // AcceptSync sent: the follower is in our accept session
    LogIndex accepted_idx;         // acknowledged with Accepted in this ballot
    LogIndex next_idx;             // the next entry to send it
    LogIndex decided_sent;         // the decided index it was last told
    LogIndex forwarded_end;        // our log end after appending the last entries it forwarded
    std::uint64_t seq = 0;         // the last sequence number sent to it
    std::uint64_t forward_session = 0;  // the last ProposalForward taken from it: its session
    std::uint64_t forward_seq = 0;      // and its number within that session
    std::uint64_t idle_ticks = 0;  // ticks since anything was sent to it
  };

  // leader (sequence_paxos_leader.cc)
  void become_leader(const Ballot& ballot);
  void handle_promise(NodeId from, const Promise& promise);
  void adopt_and_start_accept();
  // The promise with the most up-to-date log, or nullptr when ours is (sets its sender).
  const Promise* best_promise(NodeId& from) const;
  void send_accept_sync(Progress& follower);
  void handle_accepted(NodeId from, const Accepted& accepted);
  void handle_prepare_req(NodeId from);
  void handle_not_accepted(const NotAccepted& rejection);
  void handle_proposal_forward(NodeId from, const ProposalForward& forward);
  void try_decide();
  void leader_tick();
  void emit_accepts(std::vector<Message>& out);
  void send_prepare(NodeId to);
  Progress* progress_of(NodeId node);
  LogIndex sync_point(const Progress& follower) const;
  // Reads log entries from `from` up to `to`, cut to the batch limits (at least one entry).
  void read_batch(LogIndex from, LogIndex to, std::vector<Entry>& out) const;

  // follower (sequence_paxos_follower.cc)
  void handle_prepare(NodeId from, const Prepare& prepare);
  void handle_accept_sync(NodeId from, const AcceptSync& sync);
  void handle_accept_decide(NodeId from, const AcceptDecide& accept);
  void handle_decide(NodeId from, const Decide& decide);
  // Checks an accept-phase message's ballot and sequence number; false means drop it.
  bool accept_session_message(NodeId from, const Ballot& ballot, std::uint64_t seq);
  // Appends the entries at `start` that extend this log (those below log_end are already here:
  // in one ballot a follower's log is a prefix of the leader's). False on a gap.
  bool append_from(LogIndex start, std::span<const Entry> entries);
  // Takes `sync` into our log (its snapshot, if any, is already installed) and starts the session.
  void accept_sync(const AcceptSync& sync);
  // Asks `to` (or every peer when kNoNode) to prepare this node again; rate-limited unless forced.
  void request_prepare(NodeId to, bool force = false);
  void follower_tick();
  void emit_follower(std::vector<Message>& out);

  // read index (sequence_paxos_read.cc)
  void start_read_round();
  void handle_read_quorum_check(NodeId from, const ReadQuorumCheck& check);
  void handle_read_quorum_ack(NodeId from, const ReadQuorumAck& ack);
  void read_tick();
  void fail_reads();
  void step_down();

  // both
  void set_decided(LogIndex index);
  void clear_snapshot_wait();
  void flush_buffer_to_log();
  void send(NodeId to, Payload payload);

  Config config_;
  Quorum quorum_;
  Storage& storage_;
  std::vector<NodeId> peers_;  // sorted, without this node

  Role role_ = Role::kFollower;
  Phase phase_ = Phase::kRecover;
  Ballot promise_;           // cached storage_.promise()
  LogIndex decided_idx_;     // cached storage_.decided_idx()

  NodeId leader_hint_ = kNoNode;  // from leader election, for a follower without a leader

  // leader
  std::vector<Progress> progress_;  // one per peer, in peers_ order
  // Our own log is durable up to here in our ballot (made_durable); counts in write quorums.
  LogIndex own_durable_end_;
  Ballot adopted_round_;            // accepted round of the log adopted in the prepare phase
  LogIndex adopted_end_;            // end of that log
  // Promises with their suffixes, by sender; kept during the prepare phase only.
  std::vector<std::pair<NodeId, Promise>> promises_;

  // A snapshot this node needs before it can go on: as a follower, the AcceptSync waiting for it;
  // as a preparing leader, the adoption waiting for it.
  std::optional<SnapshotWanted> snapshot_wanted_;
  bool amnesiac_ = false;
  std::vector<std::uint64_t> peer_incarnation_;  // per peer, in peers_ order (0 = unknown)
  // Amnesiac only: per peer, the largest ballot it reported since we started (unset: not heard).
  std::vector<std::optional<Ballot>> peer_ballot_;
  // Amnesiac only: whether `ballot` is at least every ballot reported by enough peers that one of
  // them belongs to any write quorum that we may have been part of.
  bool rejoin_ballot_is_safe(const Ballot& ballot) const;
  std::optional<AcceptSync> sync_waiting_for_snapshot_;
  // The session's later messages that arrived while a follower waited for the snapshot, in the
  // order they came; taken once it is installed, so the stream goes on without a new prepare
  // round (which, with a leader that trims quickly, could need yet another snapshot). Bounded:
  // past config_.pipeline_entries_max entries (a leader's unacknowledged window) or
  // kHeldMessagesMax messages the rest is dropped, and the follower asks to be prepared again
  // once the snapshot is in.
  struct HeldForSnapshot {
    std::vector<std::variant<AcceptDecide, Decide>> messages;
    std::size_t entries = 0;
    bool overflowed = false;
  };
  HeldForSnapshot held_;
  static constexpr std::size_t kHeldMessagesMax = 4096;
  // Holds `m` if it belongs after the AcceptSync we wait on; false if it is not ours to hold.
  template <class M>
  bool hold_until_snapshot(const M& m, std::size_t entries);
  void take_held_messages(NodeId from, HeldForSnapshot held);

  // follower
  std::uint64_t last_seq_ = 0;        // last accept-phase sequence number taken in this ballot
  std::uint64_t session_ = 0;         // sequence number of the AcceptSync that began our session
  std::uint64_t forward_seq_ = 0;     // ProposalForwards sent in this session
  bool accepted_dirty_ = false;       // an Accepted is owed to the leader
  std::uint64_t ticks_since_prepare_req_ = 0;  // rate limit for PrepareReq
  bool prepare_req_sent_ = false;

  // proposals waiting for a leader (or for this leader's accept phase)
  std::vector<Entry> buffer_;
  // proposals to forward to the leader at the next take_outgoing
  std::vector<Entry> forward_;

  // read index (leader)
  std::vector<ReadResult> reads_waiting_;  // queued for the next round
  std::vector<ReadResult> reads_in_round_;  // covered by the round in flight
  std::vector<ReadResult> reads_done_;      // output
  std::uint64_t read_round_ = 0;
  bool read_round_in_flight_ = false;
  std::vector<NodeId> read_acks_;
  std::uint64_t read_round_ticks_ = 0;

  std::uint64_t resend_ticks_ = 0;
  bool decide_due_ = false;  // a tick passed: decided indexes no AcceptDecide carried go now
  std::vector<Message> outgoing_;
  std::vector<LogIndex> decide_scratch_;
};

}  // namespace paxoskv::paxos
