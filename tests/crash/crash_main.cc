// paxoskv-crash-test: real paxoskv-server processes, clients writing continuously, and nodes
// killed with SIGKILL at random moments (the leader, a follower, or all at once as a power loss,
// sometimes with the WAL's unsynced tail cut away) and restarted. At the end every acknowledged
// write must be on every node and all nodes' state identical (verify.h lists the checks).
//
//   paxoskv-crash-test [--nodes 3|5] [--iterations N] [--duration-ms MS] [--clients C]
//                      [--seed S] [--unsafe-cut]
//
// Every random choice (fault kind, victim, moment, cut, restart delay, sampled keys) comes from
// --seed, so a failing seed replays the same fault schedule; the exact interleaving with the
// servers' timing cannot be replayed. Exit 0 = every check passed, 1 = a check failed (details,
// seed and node logs printed; the cluster directory is copied for inspection), 2 = bad usage,
// 130 = interrupted. Every server is stopped by its PID on every path, SIGINT/SIGTERM included.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "faults.h"
#include "local_cluster.h"
#include "monitor.h"
#include "verify.h"
#include "workload.h"

namespace paxoskv::crash {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---- signals: kill the servers at once, let main unwind (destructors reap and clean up) ----
std::array<std::atomic<pid_t>, 16> g_pids{};
std::atomic<bool> g_interrupted{false};

void on_signal(int) {
  for (auto& pid : g_pids) {
    const pid_t p = pid.load();
    if (p > 0) ::kill(p, SIGKILL);  // async-signal-safe; LocalCluster reaps them later
  }
  if (g_interrupted.exchange(true)) ::_exit(130);  // a second ^C: leave right now
}

void track(const testing::LocalCluster& cluster) {
  for (std::size_t i = 1; i <= cluster.size() && i <= g_pids.size(); ++i) {
    g_pids[i - 1] = cluster.running(i) ? cluster.pid(i) : -1;
  }
}

struct Interrupted {};

void sleep_until(Clock::time_point t) {
  while (Clock::now() < t) {
    if (g_interrupted) throw Interrupted{};
    std::this_thread::sleep_for(std::min<Clock::duration>(10ms, t - Clock::now()));
  }
  if (g_interrupted) throw Interrupted{};
}

struct Options {
  std::size_t nodes = 3;
  int iterations = 5;
  int duration_ms = 3000;
  std::size_t clients = 4;
  std::uint64_t seed = 0;
  bool unsafe_cut = false;
};

bool parse(int argc, char** argv, Options& o) {
  o.seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    try {
      if (a == "--nodes" && (v = value()))
        o.nodes = std::stoul(v);
      else if (a == "--iterations" && (v = value()))
        o.iterations = std::stoi(v);
      else if (a == "--duration-ms" && (v = value()))
        o.duration_ms = std::stoi(v);
      else if (a == "--clients" && (v = value()))
        o.clients = std::stoul(v);
      else if (a == "--seed" && (v = value()))
        o.seed = std::stoull(v);
      else if (a == "--unsafe-cut")
        o.unsafe_cut = true;
      else
        return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return (o.nodes == 3 || o.nodes == 5) && o.iterations >= 0 && o.duration_ms >= 200 &&
         o.clients >= 1 && o.clients <= 64;
}

struct Tally {
  std::map<std::string, int> faults;  // by kind
  int nodes_killed = 0;
  int cuts = 0;
  int cuts_skipped = 0;  // a cut was drawn but nothing unconfirmed was there to cut
  std::uint64_t bytes_cut = 0;
  int writer_in_fdatasync = 0;
};

std::string node_list(const std::vector<std::size_t>& nodes) {
  std::string s;
  for (std::size_t n : nodes) s += (s.empty() ? "" : ",") + std::to_string(n);
  return s;
}

// One fault: kill `targets`, maybe cut their WALs, restart each after its own short delay.
std::string inject(const Options& o, testing::LocalCluster& cluster, Faults& faults,
                   const std::string& kind, const std::vector<std::size_t>& targets,
                   std::mt19937_64& rng, Tally& tally) {
  std::ostringstream line;
  line << kind << " [node " << node_list(targets) << "]";
  // A power loss takes every node's unsynced tail; a single kill is more often a plain crash.
  const double cut_probability = kind == "power-loss" ? 0.7 : 0.5;
  std::map<std::size_t, bool> want_cut;
  bool any_cut = false;
  for (std::size_t node : targets)
    any_cut |= want_cut[node] = std::bernoulli_distribution(cut_probability)(rng);
  // With a cut to make, pick a moment when a batch is in flight (faults.h); unsafe cuts need none.
  const std::vector<Killed> killed = faults.kill(targets, any_cut && !o.unsafe_cut, 40);
  track(cluster);
  const auto killed_at = Clock::now();
  tally.nodes_killed += static_cast<int>(killed.size());
  const int max_delay = std::clamp(o.duration_ms / 4, 20, 500);
  std::vector<std::pair<int, std::size_t>> restarts;
  for (const Killed& k : killed) {
    if (k.writer_in_fdatasync) ++tally.writer_in_fdatasync;
    if (want_cut[k.node]) {
      const CutResult c = faults.cut(k, rng, o.unsafe_cut);
      if (c.cut) {
        ++tally.cuts;
        tally.bytes_cut += c.size_before - c.size_after;
        line << " cut n" << k.node << " " << c.size_before << "->" << c.size_after << " (floor "
             << c.floor << ")";
      } else {
        ++tally.cuts_skipped;
        line << " no-cut n" << k.node << " (" << c.note << ")";
      }
    }
    restarts.emplace_back(std::uniform_int_distribution<int>(20, max_delay)(rng), k.node);
  }
  std::sort(restarts.begin(), restarts.end());
  for (const auto& [delay, node] : restarts) {
    sleep_until(killed_at + std::chrono::milliseconds(delay));
    faults.start(node);
    track(cluster);
    line << " restart n" << node << " +" << delay << "ms";
  }
  return line.str();
}

// Nodes whose server process ended without the test killing it: always a failure.
std::vector<std::string> exited(const Faults& faults, std::size_t nodes, const std::string& when) {
  std::vector<std::string> dead;
  for (std::size_t i = 1; i <= nodes; ++i) {
    if (faults.exited_on_its_own(i)) {
      dead.push_back("node " + std::to_string(i) + " exited by itself (" + when + "; see its log)");
    }
  }
  return dead;
}

std::string log_tails(const testing::LocalCluster& cluster) {
  std::string s;
  for (std::size_t i = 1; i <= cluster.size(); ++i) {
    std::string tail = cluster.log_tail(i);
    if (tail.size() > 1500) tail = tail.substr(tail.size() - 1500);
    s += "---- node " + std::to_string(i) + " log (tail) ----\n" + tail + "\n";
  }
  return s;
}

// Stops every server (by PID) and keeps a copy of the data directories and logs.
std::string preserve(testing::LocalCluster& cluster, std::uint64_t seed) {
  for (std::size_t i = 1; i <= cluster.size(); ++i) cluster.kill(i);
  track(cluster);
  const std::string dest =
      "/tmp/paxoskv-crash-failure-seed" + std::to_string(seed) + "-" + std::to_string(::getpid());
  std::error_code ec;
  std::filesystem::copy(cluster.dir(), dest, std::filesystem::copy_options::recursive, ec);
  return ec ? "(copy failed: " + ec.message() + ")" : dest;
}

int fail(const Options& o, testing::LocalCluster& cluster, const std::vector<std::string>& why) {
  std::cout << "\nFAILED (seed " << o.seed << ")\n";
  for (const std::string& w : why) std::cout << "  - " << w << "\n";
  std::cout << log_tails(cluster);
  std::cout << "cluster directory kept at " << preserve(cluster, o.seed) << "\n";
  std::cout << "reproduce the fault schedule: paxoskv-crash-test --nodes " << o.nodes
            << " --iterations " << o.iterations << " --duration-ms " << o.duration_ms
            << " --clients " << o.clients << " --seed " << o.seed
            << (o.unsafe_cut ? " --unsafe-cut" : "") << "\n";
  return 1;
}

int run(const Options& o) {
  const auto started = Clock::now();
  std::cout << "paxoskv-crash-test: seed " << o.seed << ", " << o.nodes << " nodes, "
            << o.iterations << " iterations x " << o.duration_ms << " ms, " << o.clients
            << " writers" << (o.unsafe_cut ? ", UNSAFE cuts (expect lost writes)" : "") << "\n"
            << std::flush;
  std::mt19937_64 rng(o.seed);
  // Destroyed last: its destructor kills whatever still runs, by PID, and removes the directory.
  testing::LocalCluster cluster(o.nodes);
  Monitor monitor(cluster.endpoints());
  Faults faults(cluster, monitor);
  for (std::size_t i = 1; i <= o.nodes; ++i) faults.start(i);
  track(cluster);
  if (!cluster.wait_for_leader(15s)) return fail(o, cluster, {"no leader at start within 15 s"});
  monitor.start();
  Workload workload(cluster.endpoints(), o.clients, 4s);
  workload.start();
  Tally tally;

  for (int it = 1; it <= o.iterations; ++it) {
    const auto t0 = Clock::now();
    const std::uint64_t acked_before = workload.acked();
    const std::uint64_t unknown_before = workload.unknown();
    sleep_until(t0 + std::chrono::milliseconds(std::uniform_int_distribution<int>(
                         o.duration_ms / 10, o.duration_ms / 2)(rng)));
    if (auto dead = exited(faults, o.nodes, "before the fault of iteration " + std::to_string(it));
        !dead.empty()) {
      return fail(o, cluster, dead);
    }
    const int pick = std::uniform_int_distribution<int>(0, 99)(rng);
    std::string kind;
    std::vector<std::size_t> targets;
    if (pick < 40) {
      kind = "leader";
      auto leader = monitor.leader(300ms);
      if (!leader) kind = "leader(unknown:random)";
      targets = {leader.value_or(std::uniform_int_distribution<std::size_t>(1, o.nodes)(rng))};
    } else if (pick < 75) {
      kind = "follower";
      const auto leader = monitor.leader(300ms);
      std::vector<std::size_t> followers;
      for (std::size_t i = 1; i <= o.nodes; ++i) {
        if (!leader || i != *leader) followers.push_back(i);
      }
      targets = {
          followers[std::uniform_int_distribution<std::size_t>(0, followers.size() - 1)(rng)]};
    } else {
      kind = "power-loss";
      for (std::size_t i = 1; i <= o.nodes; ++i) targets.push_back(i);
    }
    ++tally.faults[kind];
    const std::string what = inject(o, cluster, faults, kind, targets, rng, tally);
    sleep_until(t0 + std::chrono::milliseconds(o.duration_ms));
    // Every node runs again; the cluster must get a leader before the next fault, or it is stuck.
    const auto waited = Clock::now();
    const auto leader = cluster.wait_for_leader(20s);
    if (g_interrupted) throw Interrupted{};
    // A node that died by itself (an assertion, a refused recovery) explains a missing leader.
    std::vector<std::string> dead =
        exited(faults, o.nodes, "after iteration " + std::to_string(it));
    if (!leader) {
      dead.push_back("no leader within 20 s after iteration " + std::to_string(it) + " (" + what +
                     ")");
    }
    if (!dead.empty()) return fail(o, cluster, dead);
    std::cout
        << "iter " << it << "/" << o.iterations << ": " << what << "; leader n" << *leader
        << " after "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - waited).count()
        << "ms; acked +" << workload.acked() - acked_before << " unknown +"
        << workload.unknown() - unknown_before << "\n"
        << std::flush;
  }

  workload.stop();
  monitor.stop();
  if (auto dead = exited(faults, o.nodes, "at the end"); !dead.empty())
    return fail(o, cluster, dead);
  std::vector<std::string> writer_errors;
  std::map<Status, std::uint64_t> statuses;
  for (const WriterLog& log : workload.logs()) {
    if (!log.error.empty()) writer_errors.push_back("writer failed: " + log.error);
    for (const auto& [s, n] : log.statuses) statuses[s] += n;
  }
  if (!writer_errors.empty()) return fail(o, cluster, writer_errors);

  const VerifyResult v = verify(cluster, workload.logs(), rng, 30s, 300);
  const double secs = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << "\nsummary (seed " << o.seed << ")\n  iterations: " << o.iterations << " x "
            << o.duration_ms << " ms, " << o.nodes << " nodes, " << o.clients << " writers\n"
            << "  faults:";
  for (const auto& [kind, n] : tally.faults) std::cout << " " << kind << " " << n << ";";
  std::cout << " nodes killed " << tally.nodes_killed << " (WAL writer caught in fdatasync "
            << tally.writer_in_fdatasync << ")\n  WAL cuts: " << tally.cuts << " ("
            << tally.bytes_cut << " bytes), " << tally.cuts_skipped
            << " drawn with nothing unconfirmed to cut\n  writes: acknowledged " << v.acked
            << ", unknown " << v.unknown_applied + v.unknown_absent << " (applied "
            << v.unknown_applied << ", not applied " << v.unknown_absent << ")";
  for (const auto& [s, n] : statuses) std::cout << "; " << status_name(s) << " " << n;
  std::cout << "\n  final state: " << v.keys << " keys at decided index " << v.decided_idx << "\n";
  for (const std::string& p : v.passed) std::cout << "  check passed: " << p << "\n";
  std::cout << "  elapsed: " << secs << " s\n";
  if (!v.ok()) return fail(o, cluster, v.problems);
  std::cout << "PASS\n";
  return 0;
}

}  // namespace
}  // namespace paxoskv::crash

int main(int argc, char** argv) {
  using namespace paxoskv::crash;
  Options o;
  if (!parse(argc, argv, o)) {
    std::cerr << "usage: paxoskv-crash-test [--nodes 3|5] [--iterations N] [--duration-ms MS>=200]"
                 " [--clients 1-64] [--seed S] [--unsafe-cut]\n";
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  try {
    return run(o);
  } catch (const Interrupted&) {
    std::cout << "\ninterrupted (seed " << o.seed << "); every server was stopped\n";
    return 130;
  } catch (const std::exception& e) {
    std::cout << "\nFAILED (seed " << o.seed << "): " << e.what() << "\n";
    return 1;
  }
}
