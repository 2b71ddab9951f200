// OmniPaxos: one replica of the replicated log, as a pure, deterministic state machine.
//
// Inputs are messages, ticks and proposals; outputs are an outbox and decided entries. There is no
// I/O, clock, thread or randomness in here: the driver (the server's event loop, or the
// simulator) decides when a tick happens and carries messages.
//
// Driver loop, after every batch of events:
//   1. px.take_outgoing(out);            // messages to send
//   2. send the messages that may_send_before_sync() allows (messages.h), in order, up to the
//      first one that must wait;
//   3. mark = px.durability_mark(); storage.sync(); px.made_durable(mark);  // or asynchronously
//      on an I/O thread (storage.h, rule 3)
//   4. send the rest of `out`; apply px.read_decided(applied, ...) and answer clients.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ballot_leader_election.h"
#include "config.h"
#include "sequence_paxos.h"
#include "storage.h"

namespace paxoskv::paxos {

struct Status {
  NodeId node_id;
  Role role = Role::kFollower;
  Phase phase = Phase::kRecover;
  NodeId leader;         // the node believed to lead, kNoNode if none
  Ballot promise;        // the highest ballot promised (the leader's own while leading)
  Ballot elected;        // the ballot leader election believes leads
  bool happy = false;    // leader election's view: the leader can make progress
  LogIndex decided_idx;
  LogIndex log_end;
  std::size_t buffered_proposals = 0;
  std::uint64_t dropped_messages = 0;  // wrong configuration or unknown sender
  LogIndex compacted_idx;              // first log index still held (earlier ones are trimmed)
  bool waiting_for_snapshot = false;   // see OmniPaxos::snapshot_wanted
  bool amnesiac = false;               // lost its storage, not yet rejoined (start_amnesiac)
};

class OmniPaxos {
 public:
  // `config` must validate; `storage` must outlive this object and may hold state from before a
  // restart.
  OmniPaxos(const Config& config, Storage& storage);

  void tick();
  void handle(const Message& message);
  ProposeResult append(Entry entry);
  // The connection to `peer` was re-established (messages on the old one may have been lost).
  void reconnected(NodeId peer);
  // The connection to `peer` closed. Leader election takes a lost link to the leader as a sign
  // that it died and checks with the other peers at once (BallotLeaderElection::disconnected).
  void disconnected(NodeId peer);
  // Takes over leadership at once (administration and tests); normally election does this.
  void try_become_leader();

  // Queues a linearizable read; false if this node is not the accepting leader (see
  // SequencePaxos::read_index).
  bool read_index(std::uint64_t read_id) { return sequence_paxos_.read_index(read_id); }

  // The storage is new although this node may have been a member before (its data directory was
  // lost or wiped): promise nothing until it has safely rejoined. See
  // SequencePaxos::start_amnesiac. Call right after construction, before any input.
  void start_amnesiac() { sequence_paxos_.start_amnesiac(); }

  // ---- snapshots (see SnapshotWanted in sequence_paxos.h) ----
  // Drops the log below `index` <= decided_idx(). The driver must hold a durable snapshot of its
  // state machine at exactly `index` first, and keep it while the log starts there: peers that
  // lag behind are sent that snapshot.
  void trim(LogIndex index) { sequence_paxos_.trim(index); }
  std::optional<SnapshotWanted> snapshot_wanted() const { return sequence_paxos_.snapshot_wanted(); }
  bool snapshot_installed(LogIndex index) { return sequence_paxos_.snapshot_installed(index); }
  void snapshot_failed() { sequence_paxos_.snapshot_failed(); }
  LogIndex compacted_idx() const { return sequence_paxos_.compacted_idx(); }

  // ---- durability of this node's own writes (storage.h, rule 3) ----
  // Call when sealing a storage batch (every write made so far is in it) and keep the mark with
  // the batch; once the batch is durable, pass the mark to made_durable(). A leader counts its own
  // log towards a write quorum only up to what was reported this way, which is what lets the
  // driver send AcceptDecide and Decide before its own sync (may_send_before_sync, messages.h).
  DurabilityMark durability_mark() const { return sequence_paxos_.durability_mark(); }
  void made_durable(const DurabilityMark& mark) { sequence_paxos_.made_durable(mark); }

  // Appends every pending message to `out`.
  void take_outgoing(std::vector<Message>& out);
  // Appends the reads confirmed or failed since the last call.
  void take_reads(std::vector<ReadResult>& out) { sequence_paxos_.take_reads(out); }

  LogIndex decided_idx() const { return sequence_paxos_.decided_idx(); }
  // Appends the decided entries [from, decided_idx()) to `out`; requires from >= compacted_idx()
  // whenever there is something to read.
  void read_decided(LogIndex from, std::vector<Entry>& out) const {
    read_decided(from, decided_idx(), out);
  }
  // Appends the decided entries [from, min(to, decided_idx())) to `out`.
  void read_decided(LogIndex from, LogIndex to, std::vector<Entry>& out) const;

  Status status() const;
  NodeId node_id() const { return config_.node_id; }
  bool is_leader() const { return sequence_paxos_.role() == Role::kLeader; }

 private:
  BallotLeaderElection::Leading leading() const;
  void observe(const Ballot& ballot);
  // Hands a ballot that leader election elected to Sequence Paxos.
  void elect(const std::optional<Ballot>& elected);

  Config config_;
  Storage& storage_;
  SequencePaxos sequence_paxos_;
  BallotLeaderElection ble_;
  std::uint64_t dropped_messages_ = 0;
};

}  // namespace paxoskv::paxos
