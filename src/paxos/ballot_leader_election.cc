#include "ballot_leader_election.h"

#include <algorithm>

#include "assert.h"

namespace paxoskv::paxos {

BallotLeaderElection::BallotLeaderElection(NodeId self, std::vector<NodeId> peers,
                                           ConfigId config_id, std::uint64_t priority,
                                           Quorum quorum, std::uint32_t election_timeout_ticks,
                                           Ballot initial_leader, std::uint64_t incarnation)
    : self_(self),
      peers_(std::move(peers)),
      config_id_(config_id),
      quorum_(quorum),
      election_timeout_ticks_(election_timeout_ticks),
      current_ballot_{config_id, 0, priority, self},
      leader_(initial_leader),
      incarnation_(incarnation) {
  PAXOS_ASSERT(election_timeout_ticks_ >= 2, "a round needs time for replies");
  PAXOS_ASSERT(std::find(peers_.begin(), peers_.end(), self_) == peers_.end(),
               "peers exclude self");
  // Never reuse a ballot number this node may have promised before a restart.
  current_ballot_.n = initial_leader.n;
  peer_fresh_.assign(peers_.size(), {0, false});
  peer_connected_.assign(peers_.size(), true);
  start_round();
}

std::optional<Ballot> BallotLeaderElection::tick(Leading leading, bool may_take_over) {
  if (++ticks_in_round_ < election_timeout_ticks_) return std::nullopt;
  auto elected = end_round(leading, may_take_over);
  start_round();
  return elected;
}

void BallotLeaderElection::start_early_round() {
  start_round();
  early_round_ = true;
}

void BallotLeaderElection::start_round() {
  ++round_;
  ticks_in_round_ = 0;
  early_round_ = false;
  round_start_leader_ = leader_;
  replies_.clear();
  for (NodeId peer : peers_) send(peer, HeartbeatRequest{round_, incarnation_});
}

std::optional<Ballot> BallotLeaderElection::end_round(Leading leading, bool may_take_over) {
  const Ballot previous_leader = leader_;
  const std::size_t connected = replies_.size() + 1;  // the replying peers and this node

  // 1. The leader is the largest ballot anyone believes in.
  for (const Reply& r : replies_) leader_ = std::max(leader_, r.reply.leader);

  // 2. Happiness.
  if (!leader_.is_zero() && leader_ == current_ballot_) {
    switch (leading) {
      case Leading::kAccepting: happy_ = quorum_.is_write_quorum(connected); break;
      case Leading::kPreparing: happy_ = quorum_.is_read_quorum(connected); break;
      case Leading::kNo: happy_ = false; break;
    }
  } else {
    auto from_leader = std::find_if(replies_.begin(), replies_.end(), [&](const Reply& r) {
      return r.from == leader_.pid && r.reply.ballot == leader_;
    });
    happy_ = from_leader != replies_.end() && from_leader->reply.happy;
  }

  // 3. Take over only if nobody around can make progress and this node can. A leader first heard
  // of during this round (from a reply, or from its Prepare) gets one round to show it is happy
  // before anyone replaces it: replies are snapshots taken when the request arrived, possibly
  // before that leader took over, and without the grace round nodes whose rounds are not aligned
  // keep replacing each other's fresh ballots.
  const bool everyone_unhappy = std::none_of(replies_.begin(), replies_.end(),
                                             [](const Reply& r) { return r.reply.happy; });
  const bool leader_is_new = leader_ != round_start_leader_;
  if (may_take_over && !happy_ && everyone_unhappy && !leader_is_new &&
      quorum_.is_read_quorum(connected)) {
    take_over();
  }

  if (leader_ != previous_leader) return leader_;
  return std::nullopt;
}

Ballot BallotLeaderElection::take_over() {
  current_ballot_.n = std::max(leader_.n, current_ballot_.n) + 1;
  leader_ = current_ballot_;
  // A fresh candidate reports itself happy so that peers do not compete in the same round; if it
  // cannot gather a quorum it turns unhappy at the end of its first round as leader.
  happy_ = true;
  return leader_;
}

Ballot BallotLeaderElection::force_takeover() { return take_over(); }

std::optional<Ballot> BallotLeaderElection::observe_ballot(const Ballot& ballot) {
  if (ballot <= leader_) return std::nullopt;
  leader_ = ballot;
  // A ballot seen in Sequence Paxos proves nothing about the new leader's health: stay unhappy
  // until its heartbeat reply says otherwise.
  happy_ = false;
  return leader_;
}

void BallotLeaderElection::disconnected(NodeId peer) {
  const std::size_t i = peer_index(peer);
  if (i == peers_.size()) return;
  peer_connected_[i] = false;
  if (leader_.pid != peer) return;
  // The leader's process died or our link to it broke: we no longer see it making progress, so
  // say so at once (a peer deciding now must not read a happy flag from before the loss) and ask
  // everyone else whether they still see it, without waiting for the round to run out.
  happy_ = false;
  start_early_round();
}

void BallotLeaderElection::connected(NodeId peer) {
  const std::size_t i = peer_index(peer);
  if (i != peers_.size()) peer_connected_[i] = true;
}

std::optional<Ballot> BallotLeaderElection::end_early_round(Leading leading, bool may_take_over) {
  if (!early_round_ || !every_connected_peer_replied()) return std::nullopt;
  auto elected = end_round(leading, may_take_over);
  start_round();
  return elected;
}

bool BallotLeaderElection::every_connected_peer_replied() const {
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    if (!peer_connected_[i]) continue;
    const bool replied = std::any_of(replies_.begin(), replies_.end(),
                                     [&](const Reply& r) { return r.from == peers_[i]; });
    if (!replied) return false;
  }
  return true;
}

std::size_t BallotLeaderElection::peer_index(NodeId peer) const {
  return static_cast<std::size_t>(std::find(peers_.begin(), peers_.end(), peer) - peers_.begin());
}

void BallotLeaderElection::handle_request(NodeId from, const HeartbeatRequest& request) {
  send(from, HeartbeatReply{request.round, current_ballot_, leader_, happy_, fresh_, incarnation_});
}

void BallotLeaderElection::handle_reply(NodeId from, const HeartbeatReply& reply) {
  const std::size_t peer = peer_index(from);
  if (peer == peers_.size()) return;
  auto& [fresh_round, fresh] = peer_fresh_[peer];
  if (reply.round >= fresh_round) {
    fresh_round = reply.round;
    fresh = reply.fresh;
  }
  if (reply.round != round_) return;  // late reply of an earlier round
  auto known = std::find_if(replies_.begin(), replies_.end(),
                            [&](const Reply& r) { return r.from == from; });
  if (known != replies_.end()) {
    known->reply = reply;  // a duplicate: keep one reply per peer
  } else {
    replies_.push_back(Reply{from, reply});
  }
}

bool BallotLeaderElection::all_peers_fresh() const {
  return std::all_of(peer_fresh_.begin(), peer_fresh_.end(),
                     [](const auto& f) { return f.first > 0 && f.second; });
}

void BallotLeaderElection::take_outgoing(std::vector<Message>& out) {
  for (Message& m : outgoing_) out.push_back(std::move(m));
  outgoing_.clear();
}

void BallotLeaderElection::send(NodeId to, Payload payload) {
  outgoing_.push_back(Message{self_, to, config_id_, std::move(payload)});
}

}  // namespace paxoskv::paxos
