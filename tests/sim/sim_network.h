// The simulated network: a queue of messages keyed by delivery tick, with drops, duplicates,
// delays (and so reordering) and directed link cuts, all drawn from the cluster's seeded PRNG.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "paxos/messages.h"
#include "rng.h"

namespace paxoskv::sim {

struct NetworkFaults {
  double drop_rate = 0;
  double duplicate_rate = 0;
  std::uint64_t delay_ticks_min = 1;
  std::uint64_t delay_ticks_max = 1;
  // Like TCP: messages on one link arrive in the order sent. Otherwise delays reorder them.
  bool fifo_links = true;
};

class SimNetwork {
 public:
  explicit SimNetwork(testing::Rng& rng) : rng_(rng) {}

  void set_faults(const NetworkFaults& faults) { faults_ = faults; }
  const NetworkFaults& faults() const { return faults_; }

  // Queues `message` for delivery unless the link is cut or the message is dropped.
  void send(paxos::Message message, std::uint64_t now);
  // Removes and returns the messages due at or before `now`, in a seeded random order that keeps
  // the delivery-tick order.
  std::vector<paxos::Message> take_due(std::uint64_t now);

  void cut(paxos::NodeId from, paxos::NodeId to) { cut_.insert({from, to}); }
  void restore(paxos::NodeId from, paxos::NodeId to) { cut_.erase({from, to}); }
  bool is_cut(paxos::NodeId from, paxos::NodeId to) const { return cut_.count({from, to}) > 0; }
  // Both directions open.
  bool connected(paxos::NodeId a, paxos::NodeId b) const { return !is_cut(a, b) && !is_cut(b, a); }
  void restore_all() { cut_.clear(); }
  const std::set<std::pair<paxos::NodeId, paxos::NodeId>>& cuts() const { return cut_; }

  std::uint64_t sent() const { return sent_; }
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t duplicated() const { return duplicated_; }
  std::size_t in_flight() const { return queue_.size(); }

 private:
  struct InFlight {
    std::uint64_t deliver_at;
    std::uint64_t order;  // send order, to break ties deterministically
    paxos::Message message;
  };

  testing::Rng& rng_;
  NetworkFaults faults_;
  std::set<std::pair<paxos::NodeId, paxos::NodeId>> cut_;
  std::map<std::pair<paxos::NodeId, paxos::NodeId>, std::uint64_t> last_delivery_;  // FIFO links
  std::vector<InFlight> queue_;
  std::uint64_t next_order_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t duplicated_ = 0;
};

}  // namespace paxoskv::sim
