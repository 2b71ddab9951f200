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
//
// Fast failover. A leader whose process dies closes its connections at once, long before a round
// could notice its silence (two to three rounds: the round it died in may still hold its reply,
// and the happy flags that peers report are as old as their last round end). So the driver
// reports a lost connection as an input (disconnected()): losing the link to the leader makes this
// node unhappy at once and starts an early round, which ends as soon as every peer still connected
// has replied. The rules above are unchanged, only the round is shorter: a takeover still needs
// every replier unhappy and a quorum, so a link that breaks while the leader is alive and
// reachable by others costs nothing but this node's own happiness, which a round without the
// leader's reply would have taken away anyway. A leader that hangs with its connections open is
// still replaced by rounds alone: shortening that path would also shorten how long a leader may
// stall (a slow fsync, a large snapshot) before it is replaced.
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

  // The driver's connection to `peer` closed, or a new one was established. Until told otherwise
  // every peer counts as connected. Losing the leader's connection starts an early round (above).
  void disconnected(NodeId peer);
  void connected(NodeId peer);
  // Ends an early round once every connected peer has replied to it, as tick() would at the end
  // of a round; call after every reply and disconnection. Nothing happens in a regular round.
  std::optional<Ballot> end_early_round(Leading leading, bool may_take_over = true);

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
  bool early_round() const { return early_round_; }

 private:
  struct Reply {
    NodeId from;
    HeartbeatReply reply;
  };

  std::optional<Ballot> end_round(Leading leading, bool may_take_over);
  void start_round();
  // A round that ends as soon as every connected peer has replied (end_early_round).
  void start_early_round();
  Ballot take_over();
  void send(NodeId to, Payload payload);
  // Index of `peer` in peers_, or peers_.size() if it is not a peer.
  std::size_t peer_index(NodeId peer) const;
  bool every_connected_peer_replied() const;

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
  // Per peer (peers_ order): whether the driver has a connection to it (see disconnected()).
  std::vector<bool> peer_connected_;
  // The current round is an early one (see the top of this file): it ends as soon as every
  // connected peer has replied.
  bool early_round_ = false;
  std::vector<Message> outgoing_;
};

}  // namespace paxoskv::paxos
