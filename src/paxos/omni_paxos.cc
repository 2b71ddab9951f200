#include "omni_paxos.h"

#include <algorithm>

#include "assert.h"

namespace paxoskv::paxos {

namespace {

std::vector<NodeId> peers_of(const Config& config) {
  std::vector<NodeId> peers;
  for (NodeId n : config.nodes) {
    if (n != config.node_id) peers.push_back(n);
  }
  std::sort(peers.begin(), peers.end());
  return peers;
}

}  // namespace

OmniPaxos::OmniPaxos(const Config& config, Storage& storage)
    : config_(config),
      storage_(storage),
      sequence_paxos_(config, storage),
      ble_(config.node_id, peers_of(config), config.config_id, config.leader_priority,
           config.quorum(), config.election_timeout_ticks, storage.promise(),
           config.incarnation) {}

BallotLeaderElection::Leading OmniPaxos::leading() const {
  if (sequence_paxos_.role() != Role::kLeader ||
      sequence_paxos_.promise() != ble_.current_ballot()) {
    return BallotLeaderElection::Leading::kNo;
  }
  return sequence_paxos_.phase() == Phase::kAccept ? BallotLeaderElection::Leading::kAccepting
                                                   : BallotLeaderElection::Leading::kPreparing;
}

void OmniPaxos::tick() {
  if (sequence_paxos_.amnesiac() && ble_.all_peers_fresh()) {
    // Nobody holds any state: a brand-new cluster, nothing to forget (see start_amnesiac).
    sequence_paxos_.end_amnesia();
  }
  elect(ble_.tick(leading(), !sequence_paxos_.amnesiac()));
  sequence_paxos_.tick();
}

void OmniPaxos::elect(const std::optional<Ballot>& elected) {
  if (elected) sequence_paxos_.handle_leader(*elected);
}

void OmniPaxos::observe(const Ballot& ballot) {
  if (auto elected = ble_.observe_ballot(ballot)) sequence_paxos_.handle_leader(*elected);
}

void OmniPaxos::handle(const Message& m) {
  const bool known_peer = m.from != config_.node_id &&
                          std::find(config_.nodes.begin(), config_.nodes.end(), m.from) !=
                              config_.nodes.end();
  if (m.config_id != config_.config_id || m.to != config_.node_id || !known_peer) {
    ++dropped_messages_;
    return;
  }
  if (const auto* request = std::get_if<HeartbeatRequest>(&m.payload)) {
    // Learn a restart before answering, so the freshness we report already excludes promises
    // of the sender's earlier run.
    sequence_paxos_.observe_incarnation(m.from, request->incarnation);
    ble_.set_fresh(sequence_paxos_.fresh());
    ble_.handle_request(m.from, *request);
    return;
  }
  if (const auto* reply = std::get_if<HeartbeatReply>(&m.payload)) {
    sequence_paxos_.observe_incarnation(m.from, reply->incarnation);
    sequence_paxos_.observe_peer_ballot(m.from, reply->leader);
    ble_.handle_reply(m.from, *reply);
    elect(ble_.end_early_round(leading(), !sequence_paxos_.amnesiac()));
    return;
  }
  // Snapshot transfer belongs to the drivers (messages.h); one that reaches the core is dropped.
  if (std::holds_alternative<SnapshotRequest>(m.payload) ||
      std::holds_alternative<SnapshotChunk>(m.payload)) {
    ++dropped_messages_;
    return;
  }
  sequence_paxos_.handle(m);
  // Leader election must never fall behind a ballot that Sequence Paxos has seen, or it could
  // elect a ballot that every follower has already outgrown.
  observe(sequence_paxos_.promise());
  if (const auto* rejection = std::get_if<NotAccepted>(&m.payload)) observe(rejection->promise);
}

ProposeResult OmniPaxos::append(Entry entry) { return sequence_paxos_.append(std::move(entry)); }

void OmniPaxos::reconnected(NodeId peer) {
  ble_.connected(peer);
  sequence_paxos_.reconnected(peer);
}

void OmniPaxos::disconnected(NodeId peer) {
  ble_.disconnected(peer);
  // With no other peer connected the early round is already complete.
  elect(ble_.end_early_round(leading(), !sequence_paxos_.amnesiac()));
}

void OmniPaxos::try_become_leader() {
  observe(sequence_paxos_.promise());
  sequence_paxos_.handle_leader(ble_.force_takeover());
}

void OmniPaxos::take_outgoing(std::vector<Message>& out) {
  ble_.take_outgoing(out);
  sequence_paxos_.take_outgoing(out);
}

void OmniPaxos::read_decided(LogIndex from, LogIndex to, std::vector<Entry>& out) const {
  const LogIndex end = std::min(to, decided_idx());
  if (from < end) {
    PAXOS_ASSERT(from >= storage_.compacted_idx(), "read of trimmed entries");
    storage_.read(from, end, out);
  }
}

Status OmniPaxos::status() const {
  return Status{config_.node_id,
                sequence_paxos_.role(),
                sequence_paxos_.phase(),
                sequence_paxos_.leader(),
                sequence_paxos_.promise(),
                ble_.leader(),
                ble_.happy(),
                sequence_paxos_.decided_idx(),
                sequence_paxos_.log_end(),
                sequence_paxos_.buffered_proposals(),
                dropped_messages_,
                storage_.compacted_idx(),
                sequence_paxos_.snapshot_wanted().has_value(),
                sequence_paxos_.amnesiac()};
}

}  // namespace paxoskv::paxos
