// paxoskv-nemesis: real paxoskv-server processes under client load and injected faults, then a
// linearizability check of everything the clients saw (issue 6).
//
//   paxoskv-nemesis [--nodes 3|5] [--time SECONDS] [--seed S] [--clients C] [--keys K]
//                   [--recovery-bound-ms MS] [--out DIR] [--keep]
//
// The servers run with --enable-fault-injection. C clients issue put / get / delete / cas on a few
// keys at a time while fault episodes (fault_schedule.h) follow each other until --time has passed
// and every fault kind has run at least once. Then every fault is healed and the run is judged:
//   1. paxoskv-check finds the history linearizable (the final reads of every key included);
//   2. no acknowledged write is lost (history.h: find_lost_writes);
//   3. every node ends with the same state_hash at the same applied index;
//   4. after each heal, an acknowledged write completes within --recovery-bound-ms.
// Exit 0 = all passed; 1 = a violation (the directory with the history, fault log and node logs is
// kept and named); 2 = bad usage; 3 = the checker gave up (not proven either way); 130 =
// interrupted. Every server is killed by its PID on every path.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fault_schedule.h"
#include "final_checks.h"
#include "history.h"
#include "injector.h"
#include "local_cluster.h"
#include "monitor.h"
#include "processes.h"
#include "workload.h"

namespace paxoskv::nemesis {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::atomic<bool> g_interrupted{false};

void on_signal(int) {
  NodeProcesses::kill_all_from_signal_handler();
  if (g_interrupted.exchange(true)) ::_exit(130);
}

struct Options {
  std::size_t nodes = 3;
  int time_s = 120;
  std::uint64_t seed = 0;
  std::size_t clients = 5;
  std::size_t keys = 5;
  int recovery_bound_ms = 5000;
  std::string out;
  bool keep = false;
};

bool parse(int argc, char** argv, Options& o) {
  o.seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    try {
      if (a == "--nodes" && (v = value())) {
        o.nodes = std::stoul(v);
      } else if (a == "--time" && (v = value())) {
        o.time_s = std::stoi(v);
      } else if (a == "--seed" && (v = value())) {
        o.seed = std::stoull(v);
      } else if (a == "--clients" && (v = value())) {
        o.clients = std::stoul(v);
      } else if (a == "--keys" && (v = value())) {
        o.keys = std::stoul(v);
      } else if (a == "--recovery-bound-ms" && (v = value())) {
        o.recovery_bound_ms = std::stoi(v);
      } else if (a == "--out" && (v = value())) {
        o.out = v;
      } else if (a == "--keep") {
        o.keep = true;
      } else {
        std::cerr << "paxoskv-nemesis: unknown or incomplete argument '" << a << "'\n";
        return false;
      }
    } catch (const std::exception&) {
      std::cerr << "paxoskv-nemesis: bad value for " << a << "\n";
      return false;
    }
  }
  if (o.nodes != 3 && o.nodes != 5) {
    std::cerr << "paxoskv-nemesis: --nodes must be 3 or 5\n";
    return false;
  }
  if (o.time_s < 1 || o.clients < 1 || o.clients > 64 || o.keys < 1 || o.recovery_bound_ms < 1) {
    std::cerr << "paxoskv-nemesis: --time, --clients (1-64), --keys and --recovery-bound-ms must "
                 "be positive\n";
    return false;
  }
  return true;
}

double ms(std::int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

std::string fmt_ms(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", ms(ns));
  return buf;
}

void print_operations(const std::vector<HistoryOp>& ops) {
  struct Tally {
    std::uint64_t total = 0, known = 0, unknown = 0, found = 0, absent = 0, cas_true = 0,
                  cas_false = 0;
  };
  std::map<std::string, Tally> by_kind;
  std::map<std::string, std::uint64_t> unknown_statuses;
  for (const HistoryOp& op : ops) {
    Tally& t = by_kind[std::string(op_kind_name(op.kind))];
    ++t.total;
    if (!op.known()) {
      ++t.unknown;
      ++unknown_statuses[status_name(op.status)];
      continue;
    }
    ++t.known;
    if (op.kind == OpKind::kGet) ++(op.read_value ? t.found : t.absent);
    if (op.kind == OpKind::kCas) ++(op.cas_succeeded.value_or(false) ? t.cas_true : t.cas_false);
  }
  std::cout << "  operations: " << ops.size() << "\n";
  for (const auto& [kind, t] : by_kind) {
    std::cout << "    " << kind << ": " << t.total << " (ok " << t.known << ", unknown "
              << t.unknown;
    if (kind == "get") std::cout << "; found " << t.found << ", absent " << t.absent;
    if (kind == "cas") std::cout << "; succeeded " << t.cas_true << ", failed " << t.cas_false;
    std::cout << ")\n";
  }
  if (!unknown_statuses.empty()) {
    std::cout << "    unknown outcomes by final status:";
    for (const auto& [s, n] : unknown_statuses) std::cout << " " << s << " " << n << ";";
    std::cout << "\n";
  }
}

void copy_logs(const testing::LocalCluster& cluster, const std::string& out) {
  std::error_code ec;
  for (std::size_t i = 1; i <= cluster.size(); ++i) {
    const std::string name = "node" + std::to_string(i) + ".log";
    fs::copy_file(cluster.dir() + "/" + name, out + "/" + name,
                  fs::copy_options::overwrite_existing, ec);
  }
}

int run(Options o) {
  if (o.out.empty()) {
    o.out = "/tmp/paxoskv-nemesis-seed" + std::to_string(o.seed) + "-" + std::to_string(::getpid());
  }
  fs::create_directories(o.out);
  std::cout << "paxoskv-nemesis: seed " << o.seed << ", " << o.nodes << " nodes, " << o.time_s
            << " s, " << o.clients << " clients on " << o.keys << " keys at a time; artifacts in "
            << o.out << "\n"
            << std::flush;
  const RunClock clock;
  std::vector<std::string> problems;

  // Destroyed last: removes the cluster directory (after NodeProcesses killed every server).
  testing::LocalCluster cluster(o.nodes);
  // Whatever happens from here on (a failed check, an exception, ^C), the node logs are kept.
  struct KeepLogs {
    const testing::LocalCluster& cluster;
    const std::string& out;
    bool wanted = true;
    ~KeepLogs() {
      if (wanted) copy_logs(cluster, out);
    }
  } keep_logs{cluster, o.out};
  NodeProcesses processes(cluster);
  for (std::size_t i = 1; i <= o.nodes; ++i) processes.start(i);
  crash::Monitor monitor(cluster.endpoints());
  monitor.start();
  if (!testing::LocalCluster::wait_until([&] { return monitor.leader(300ms).has_value(); }, 15s)) {
    std::cout << "\nVERDICT: FAILED (seed " << o.seed << "): no leader within 15 s of starting "
              << "the cluster; node logs kept in " << o.out << "\n";
    return 1;
  }
  Injector injector(processes, cluster, monitor, clock, g_interrupted);

  WorkloadOptions wo;
  wo.clients = o.clients;
  wo.keys_per_epoch = o.keys;
  wo.seed = o.seed ^ 0x9e3779b97f4a7c15ULL;
  Workload workload(cluster.endpoints(), wo, clock);
  workload.start();

  // Enough rounds for the time asked; the loop stops early when time is up and every kind ran.
  const std::vector<Episode> schedule =
      draw_schedule(o.seed, static_cast<std::size_t>(o.time_s) / 20 + 1, ScheduleOptions{});
  std::vector<EpisodeRecord> episodes;
  std::set<FaultKind> done;
  std::ofstream fault_log(o.out + "/faults.log");
  const auto run_end = std::chrono::steady_clock::now() + std::chrono::seconds(o.time_s);
  const std::int64_t wait_resume_ns =
      std::max<std::int64_t>(30'000'000'000, std::int64_t{o.recovery_bound_ms} * 3'000'000);
  for (const Episode& e : schedule) {
    if (std::chrono::steady_clock::now() >= run_end && done.size() == kFaultKinds) break;
    EpisodeRecord r = injector.run(e);
    done.insert(e.kind);
    // Writes must resume: wait for an acknowledged write completed after the heal (the exact
    // figure is computed from the history at the end).
    const bool resumed = testing::LocalCluster::wait_until(
        [&] { return g_interrupted || workload.last_write_ns() >= r.healed_ns; },
        std::chrono::milliseconds(wait_resume_ns / 1'000'000));
    if (g_interrupted) throw Interrupted{};
    for (std::string& p : injector.restart_unexpected_exits()) r.problems.push_back(std::move(p));
    const std::string line =
        "[" + fmt_ms(r.injected_ns) + "] " + r.what + ", held " + std::to_string(e.hold.count()) +
        " ms" + (resumed ? "" : "; NO WRITE within " + fmt_ms(wait_resume_ns) + " of the heal");
    std::cout << "  " << line << "\n" << std::flush;
    fault_log << line << " (healed at " << fmt_ms(r.healed_ns) << ")\n";
    for (const std::string& p : r.problems) {
      std::cout << "    problem: " << p << "\n";
      fault_log << "  problem: " << p << "\n";
    }
    episodes.push_back(std::move(r));
    sleep_checked(e.pause, g_interrupted);
  }

  // Heal everything, stop the clients, let the cluster settle, judge.
  for (std::string& p : injector.heal_everything()) problems.push_back("healing: " + p);
  workload.stop();
  monitor.stop();
  for (std::string& p : injector.restart_unexpected_exits()) problems.push_back(std::move(p));
  std::vector<HistoryOp> history = workload.history();
  FinalState final_state =
      settle_and_read(cluster, workload.keys(), clock, o.clients, 30s, g_interrupted);
  for (std::string& p : final_state.problems) problems.push_back(std::move(p));
  history.insert(history.end(), final_state.final_reads.begin(), final_state.final_reads.end());
  const std::string history_path = o.out + "/history.jsonl";
  write_history(history_path, history);

  // Check 4: recovery after each heal, from the history.
  std::map<std::string, int> faults_by_kind;
  std::int64_t worst_ns = 0;
  std::cout << "\nsummary (seed " << o.seed << ", " << o.nodes
            << " nodes)\n  faults: " << episodes.size() << "\n";
  for (EpisodeRecord& r : episodes) {
    ++faults_by_kind[fault_name(r.episode.kind)];
    r.resumed_ns = first_write_completed_after(history, r.healed_ns);
    const std::optional<std::int64_t> during =
        first_write_started_within(history, r.injected_ns, r.healed_ns);
    std::cout << "    " << r.what << ": writes resumed "
              << (r.resumed_ns ? fmt_ms(*r.resumed_ns - r.healed_ns) : std::string("NEVER"))
              << " after the heal; during the fault "
              << (during ? "first new write after " + fmt_ms(*during - r.injected_ns)
                         : std::string("no new write"))
              << "\n";
    for (const std::string& p : r.problems) problems.push_back(r.what + ": " + p);
    if (!r.resumed_ns) {
      problems.push_back(r.what + ": no acknowledged write after the heal");
    } else {
      worst_ns = std::max(worst_ns, *r.resumed_ns - r.healed_ns);
      if (*r.resumed_ns - r.healed_ns > std::int64_t{o.recovery_bound_ms} * 1'000'000) {
        problems.push_back(r.what + ": writes resumed " + fmt_ms(*r.resumed_ns - r.healed_ns) +
                           " after the heal, above the bound of " +
                           std::to_string(o.recovery_bound_ms) + " ms");
      }
    }
  }
  std::cout << "  faults by kind:";
  for (const auto& [kind, n] : faults_by_kind) std::cout << " " << kind << " " << n << ";";
  std::cout << "\n  worst recovery after a heal: " << fmt_ms(worst_ns) << " (bound "
            << o.recovery_bound_ms << " ms)\n";
  print_operations(history);

  // Check 2.
  const std::vector<std::string> lost = find_lost_writes(history, final_state.final_values);
  if (lost.empty() && !final_state.final_values.empty()) {
    final_state.passed.push_back("no acknowledged write lost (" +
                                 std::to_string(final_state.final_values.size()) +
                                 " keys read at the end)");
  }
  for (const std::string& l : lost) problems.push_back(l);

  // Check 1.
  const CheckerRun checker = run_checker(history_path, o.out + "/checker.txt", 300s);
  bool gave_up = false;
  if (!checker.found) {
    problems.push_back(
        "paxoskv-check was not found next to paxoskv-nemesis (build the target "
        "paxoskv-check): the history was not checked");
  } else if (checker.exit_code == 0) {
    final_state.passed.push_back("paxoskv-check: the history of " + std::to_string(history.size()) +
                                 " operations is linearizable");
  } else if (checker.exit_code == 3) {
    gave_up = true;
    std::cout << "  paxoskv-check gave up:\n" << checker.output;
  } else {
    problems.push_back("paxoskv-check exited " + std::to_string(checker.exit_code) +
                       (checker.exit_code == 1 ? " (NOT LINEARIZABLE)" : "") + ":\n" +
                       checker.output);
  }
  for (const std::string& p : final_state.passed) std::cout << "  check passed: " << p << "\n";

  if (!problems.empty()) {
    std::cout << "\nVERDICT: FAILED (seed " << o.seed << ")\n";
    for (const std::string& p : problems) std::cout << "  - " << p << "\n";
    std::cout << "history, fault log, checker output and node logs kept in " << o.out
              << "\nreplay the fault schedule: scripts/nemesis.sh --nodes " << o.nodes << " --time "
              << o.time_s << " --clients " << o.clients << " --seed " << o.seed << "\n";
    return 1;
  }
  if (gave_up) {
    std::cout << "\nVERDICT: INCONCLUSIVE (the checker gave up); artifacts in " << o.out << "\n";
    return 3;
  }
  std::cout << "\nVERDICT: PASS\n";
  if (o.keep) {
    std::cout << "artifacts kept in " << o.out << "\n";
  } else {
    keep_logs.wanted = false;  // passed: nothing to inspect
    std::error_code ec;
    fs::remove_all(o.out, ec);
  }
  return 0;
}

}  // namespace
}  // namespace paxoskv::nemesis

int main(int argc, char** argv) {
  using namespace paxoskv::nemesis;
  Options o;
  if (!parse(argc, argv, o)) {
    std::cerr << "usage: paxoskv-nemesis [--nodes 3|5] [--time SECONDS] [--seed S] [--clients C]"
                 " [--keys K] [--recovery-bound-ms MS] [--out DIR] [--keep]\n";
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
    std::cout << "\ninterrupted (seed " << o.seed << "); every server was killed\n";
    return 130;
  } catch (const std::exception& e) {
    std::cout << "\nFAILED (seed " << o.seed << "): " << e.what() << "\n";
    return 1;
  }
}
