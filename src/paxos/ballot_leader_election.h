// Ballot Leader Election (BLE), the "happy" variant of the OmniPaxos paper (§4).
//
// Time advances in heartbeat rounds of `election_timeout_ticks`. At the start of a round a node
// asks every peer for its state; at the end it looks at the replies of that round only:
//   1. leader := the largest ballot anyone claims as leader (its own belief included);
//   2. the leader is happy when it and the peers that reply form a quorum; any other node is happy
//      when the leader's own reply says it is happy;
//   3. a node takes over (n := leader.n + 1) only when it is unhappy, every peer that replied is
//      unhappy too, and it is itself quorum-connected.
// Rule 3 is what breaks the livelocks of Raft (constrained election) and Multi-Paxos
// (quorum-loss): only a node that can actually reach a quorum competes, and only when nobody
// around it can make progress.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "messages.h"
#include "quorum.h"

namespace paxoskv::paxos {

class BallotLeaderElection {
 public:
  // `initial_leader` is the ballot this node last promised (from storage), so that after a
  // restart it neither claims nor elects a ballot below what the cluster has already used.
  BallotLeaderElection(NodeId self, std::vector<NodeId> peers, ConfigId config_id,
                       std::uint64_t priority, Quorum quorum,
                       std::uint32_t election_timeout_ticks, Ballot initial_leader,
                       std::uint64_t incarnation = 0);

  // What Sequence Paxos on this node is doing with this node's current ballot. A ballot this
  // node holds but does not lead with (a stale one after a restart, or one that lost to a higher
  // ballot) makes it an unhappy leader, so that someone takes over.
  enum class Leading { kNo, kPreparing, kAccepting };

  // Advances time by one tick. At the end of a round returns the newly elected leader, if the
  // leader changed. A leader in the accept phase needs only a write quorum to make progress.
  // `may_take_over` false keeps this node from competing (a node rejoining after losing its
  // storage must not lead).
  std::optional<Ballot> tick(Leading leading, bool may_take_over = true);

  void handle_request(NodeId from, const HeartbeatRequest& request);
  void handle_reply(NodeId from, const HeartbeatReply& reply);

  // Learns of a ballot that Sequence Paxos saw (a Prepare it promised, or a rejection). A larger
  // ballot becomes the leader this node believes in; returns it if that changed the leader.
  std::optional<Ballot> observe_ballot(const Ballot& ballot);

  // Takes over at once without waiting for a round (administrative "become leader").
  Ballot force_takeover();

  void take_outgoing(std::vector<Message>& out);

  // What this node reports as HeartbeatReply::fresh, and whether the latest reply of every peer
  // said it was fresh.
  void set_fresh(bool fresh) { fresh_ = fresh; }
  bool all_peers_fresh() const;

  const Ballot& leader() const { return leader_; }
  const Ballot& current_ballot() const { return current_ballot_; }
  bool happy() const { return happy_; }
  std::uint32_t round() const { return round_; }

 private:
  struct Reply {
    NodeId from;
    HeartbeatReply reply;
  };

  std::optional<Ballot> end_round(Leading leading, bool may_take_over);
  void start_round();
  Ballot take_over();
  void send(NodeId to, Payload payload);

  NodeId self_;
  std::vector<NodeId> peers_;
  ConfigId config_id_;
  Quorum quorum_;
  std::uint32_t election_timeout_ticks_;

  Ballot current_ballot_;  // this node's own ballot
  Ballot leader_;          // the ballot this node believes leads
  Ballot round_start_leader_;  // leader_ when the current round began
  bool happy_ = false;
  std::uint32_t round_ = 0;
  std::uint32_t ticks_in_round_ = 0;
  std::vector<Reply> replies_;  // replies of the current round, at most one per peer
  bool fresh_ = false;
  std::uint64_t incarnation_ = 0;
  // Per peer (peers_ order): the round of its latest reply and whether that reply said fresh.
  std::vector<std::pair<std::uint32_t, bool>> peer_fresh_;
  std::vector<Message> outgoing_;
};

}  // namespace paxoskv::paxos
