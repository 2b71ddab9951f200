#include "sim_network.h"

#include <algorithm>

namespace paxoskv::sim {

void SimNetwork::send(paxos::Message message, std::uint64_t now) {
  ++sent_;
  if (is_cut(message.from, message.to) || rng_.chance(faults_.drop_rate)) {
    ++dropped_;
    return;
  }
  const int copies = rng_.chance(faults_.duplicate_rate) ? 2 : 1;
  if (copies == 2) ++duplicated_;
  for (int i = 0; i < copies; ++i) {
    const std::uint64_t delay = rng_.between(faults_.delay_ticks_min, faults_.delay_ticks_max);
    std::uint64_t deliver_at = now + delay;
    if (faults_.fifo_links) {
      auto& last = last_delivery_[{message.from, message.to}];
      deliver_at = std::max(deliver_at, last);
      last = deliver_at;
    }
    queue_.push_back(
        InFlight{deliver_at, next_order_++, i + 1 < copies ? message : std::move(message)});
  }
}

std::vector<paxos::Message> SimNetwork::take_due(std::uint64_t now) {
  std::vector<InFlight> due;
  auto split = std::partition(queue_.begin(), queue_.end(),
                              [&](const InFlight& m) { return m.deliver_at > now; });
  due.insert(due.end(), std::make_move_iterator(split), std::make_move_iterator(queue_.end()));
  queue_.erase(split, queue_.end());
  // std::partition is not stable: order by send order first, so the result depends on the seed
  // alone. Without FIFO links, a seeded shuffle reorders what is due in the same tick as well.
  std::sort(due.begin(), due.end(), [](const InFlight& a, const InFlight& b) {
    return a.deliver_at != b.deliver_at ? a.deliver_at < b.deliver_at : a.order < b.order;
  });
  if (!faults_.fifo_links) rng_.shuffle(due);
  std::vector<paxos::Message> out;
  out.reserve(due.size());
  for (InFlight& m : due) {
    // A link cut while the message was in flight loses it too.
    if (is_cut(m.message.from, m.message.to)) {
      ++dropped_;
      continue;
    }
    out.push_back(std::move(m.message));
  }
  return out;
}

}  // namespace paxoskv::sim
