// Property: whatever schedule of faults and proposals RapidCheck draws, every invariant holds after
// every step, and once the faults stop the cluster elects a stable leader and decides new
// proposals. On failure RapidCheck shrinks the schedule to a minimal one and prints how to replay
// it.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "scenario_helpers.h"

namespace paxoskv::sim {
namespace {

using paxos::NodeId;

enum class Kind { kRun, kCrash, kRestart, kCut, kRestore, kIsolate, kHeal, kPropose };

struct Event {
  Kind kind;
  std::size_t a;  // node index
  std::size_t b;  // second node index (links)
  std::uint64_t ticks;
};

std::ostream& operator<<(std::ostream& os, const Event& e) {
  static const char* kNames[] = {"run", "crash", "restart", "cut", "restore", "isolate", "heal",
                                 "propose"};
  return os << kNames[static_cast<int>(e.kind)] << "(" << e.a << "," << e.b << "," << e.ticks
            << ")";
}

rc::Gen<Event> event_gen() {
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange(0, 8), rc::gen::inRange<std::size_t>(0, 5),
                     rc::gen::inRange<std::size_t>(0, 5), rc::gen::inRange<std::uint64_t>(1, 40)),
      [](const std::tuple<int, std::size_t, std::size_t, std::uint64_t>& t) {
        return Event{static_cast<Kind>(std::get<0>(t)), std::get<1>(t), std::get<2>(t),
                     std::get<3>(t)};
      });
}

void apply(SimCluster& c, const Event& e) {
  const auto& ids = c.node_ids();
  const NodeId a = ids[e.a % ids.size()];
  const NodeId b = ids[e.b % ids.size()];
  switch (e.kind) {
    case Kind::kRun: c.run(e.ticks); break;
    case Kind::kCrash: c.crash(a); break;
    case Kind::kRestart: c.restart(a); break;
    case Kind::kCut:
      if (a != b) c.cut(a, b);
      break;
    case Kind::kRestore:
      if (a != b) c.restore_both(a, b);
      break;
    case Kind::kIsolate: c.isolate(a); break;
    case Kind::kHeal: c.heal_network(); break;
    case Kind::kPropose: c.propose(a); break;
  }
}

RC_GTEST_PROP(ScheduleProperty, AnyScheduleKeepsTheInvariantsAndTheClusterRecovers, ()) {
  const std::size_t nodes = *rc::gen::element<std::size_t>(1, 3, 5);
  const std::uint64_t seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000);
  const auto events = *rc::gen::container<std::vector<Event>>(event_gen());
  SimOptions options = scenario_options(nodes, seed);
  options.eager_flush_rate = 0.5;
  options.end_of_step_flush_rate = 0.7;
  SimCluster c(options);
  c.network().set_faults(NetworkFaults{0.05, 0.02, 1, 3, false});
  for (const Event& e : events) {
    apply(c, e);
    c.step();
    RC_ASSERT(c.violation() == "");
  }
  // Faults stop.
  for (NodeId id : c.node_ids()) c.restart(id);
  c.heal_network();
  c.network().set_faults(NetworkFaults{0, 0, 1, 3, true});
  const std::optional<NodeId> leader = wait_for_settled_leader(c, kElectionBoundTicks);
  RC_ASSERT(leader.has_value());
  std::vector<paxos::Entry> fresh;
  for (NodeId id : c.node_ids()) fresh.push_back(c.propose(id));
  RC_ASSERT(c.run_until(
      [&] {
        for (const auto& e : fresh) {
          if (!c.decided_on_all_live(e)) return false;
        }
        return true;
      },
      kCommitBoundTicks));
  RC_ASSERT(c.violation() == "");
}

}  // namespace
}  // namespace paxoskv::sim
