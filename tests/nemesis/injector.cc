#include "injector.h"

#include <sys/wait.h>

#include <algorithm>
#include <random>
#include <thread>

#include "client/client.h"
#include "storage/fatal.h"

namespace paxoskv::nemesis {

using namespace std::chrono_literals;

void sleep_checked(std::chrono::milliseconds duration, const std::atomic<bool>& interrupted) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    if (interrupted) throw Interrupted{};
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        10ms, until - std::chrono::steady_clock::now()));
  }
  if (interrupted) throw Interrupted{};
}

namespace {

std::string node_list(const std::vector<std::size_t>& nodes) {
  std::string s;
  for (std::size_t n : nodes) s += (s.empty() ? "n" : ",n") + std::to_string(n);
  return s;
}

FaultCommand block(std::size_t peer, FaultCommand::Direction direction) {
  FaultCommand c;
  c.kind = FaultCommand::Kind::kBlockPeer;
  c.peer = peer;
  c.direction = direction;
  return c;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

}  // namespace

Injector::Injector(NodeProcesses& processes, const testing::LocalCluster& cluster,
                   const crash::Monitor& monitor, const RunClock& clock,
                   const std::atomic<bool>& interrupted)
    : processes_(processes),
      cluster_(cluster),
      monitor_(monitor),
      clock_(clock),
      interrupted_(interrupted) {}

void Injector::send_fault(std::size_t node, const FaultCommand& command, EpisodeRecord& record) {
  client::ClientOptions options;
  options.endpoints = {cluster_.client_address(node)};
  options.request_timeout = 2s;
  options.attempt_timeout = 500ms;
  client::Client kv(options);
  Request r;
  r.op = Op::kFault;
  r.fault = command;
  const Response answer = kv.send(r);
  if (answer.status != Status::kOk) {
    record.problems.push_back("fault request to n" + std::to_string(node) +
                              " failed: " + status_name(answer.status) + " " + answer.error);
  }
}

void Injector::cut_both(std::size_t a, std::size_t b, EpisodeRecord& record) {
  send_fault(a, block(b, FaultCommand::Direction::kBoth), record);
  send_fault(b, block(a, FaultCommand::Direction::kBoth), record);
}

void Injector::cut_one_way(std::size_t from, std::size_t to, std::uint64_t where,
                           EpisodeRecord& record) {
  // 0: at the sender, 1: at the receiver, 2: at both.
  if (where % 3 != 1) send_fault(from, block(to, FaultCommand::Direction::kOutgoing), record);
  if (where % 3 != 0) send_fault(to, block(from, FaultCommand::Direction::kIncoming), record);
}

void Injector::heal_network(EpisodeRecord& record) {
  for (std::size_t i = 1; i <= processes_.size(); ++i) {
    if (processes_.running(i)) send_fault(i, FaultCommand{}, record);  // kHealAll
  }
}

std::size_t Injector::leader(std::uint64_t pick) {
  // Right after the previous episode the cluster may still be electing: give it a moment.
  for (int i = 0; i < 50; ++i) {
    if (auto l = monitor_.leader(300ms)) return *l;
    sleep_checked(100ms, interrupted_);
  }
  return 1 + pick % processes_.size();  // no agreed leader: any node
}

std::vector<std::size_t> Injector::others(std::size_t except) const {
  std::vector<std::size_t> v;
  for (std::size_t i = 1; i <= processes_.size(); ++i) {
    if (i != except) v.push_back(i);
  }
  return v;
}

void Injector::kill_and_restart(const std::vector<std::size_t>& nodes, EpisodeRecord& record) {
  record.injected_ns = clock_.now_ns();
  for (std::size_t n : nodes) processes_.kill(n);
  sleep_checked(record.episode.hold, interrupted_);
  for (std::size_t n : nodes) processes_.start(n);
  record.healed_ns = clock_.now_ns();
}

EpisodeRecord Injector::run(const Episode& e) {
  EpisodeRecord r;
  r.episode = e;
  const std::size_t n = processes_.size();
  const std::size_t l = leader(e.pick);
  const std::vector<std::size_t> rest = others(l);
  const std::size_t follower = rest[e.pick % rest.size()];
  const std::string name = fault_name(e.kind);
  switch (e.kind) {
    case FaultKind::kKillLeader:
      r.what = name + " [n" + std::to_string(l) + "]";
      kill_and_restart({l}, r);
      break;
    case FaultKind::kKillFollower:
      r.what = name + " [n" + std::to_string(follower) + "]";
      kill_and_restart({follower}, r);
      break;
    case FaultKind::kKillMajority: {
      std::vector<std::size_t> all = others(0);
      std::mt19937_64 rng(e.pick);
      std::shuffle(all.begin(), all.end(), rng);
      all.resize(n / 2 + 1);
      std::sort(all.begin(), all.end());
      r.what = name + " [" + node_list(all) + "]";
      kill_and_restart(all, r);
      break;
    }
    case FaultKind::kPauseLeader:
    case FaultKind::kPauseFollower: {
      const std::size_t target = e.kind == FaultKind::kPauseLeader ? l : follower;
      r.what = name + " [n" + std::to_string(target) + "]";
      r.injected_ns = clock_.now_ns();
      processes_.pause(target);
      sleep_checked(e.hold, interrupted_);
      processes_.resume(target);
      r.healed_ns = clock_.now_ns();
      break;
    }
    case FaultKind::kSlowFsync: {
      // One in three: the leader; one in three: a follower; one in three: every node.
      std::vector<std::size_t> targets = {l};
      if (e.pick % 3 == 1) targets = {follower};
      if (e.pick % 3 == 2) targets = others(0);
      r.what = name + " " + std::to_string(e.fsync_delay_ms) + "ms [" + node_list(targets) + "]";
      FaultCommand slow;
      slow.kind = FaultCommand::Kind::kSlowFsync;
      slow.fsync_delay_ms = e.fsync_delay_ms;
      r.injected_ns = clock_.now_ns();
      for (std::size_t t : targets) send_fault(t, slow, r);
      sleep_checked(e.hold, interrupted_);
      heal_network(r);  // heal-all also clears the delay
      r.healed_ns = clock_.now_ns();
      break;
    }
    case FaultKind::kFailFsync: {
      const std::size_t target = e.pick % 2 == 0 ? l : follower;
      r.what = name + " [n" + std::to_string(target) + (target == l ? " leader]" : "]");
      FaultCommand fail;
      fail.kind = FaultCommand::Kind::kFailFsync;
      r.injected_ns = clock_.now_ns();
      const std::size_t problems_before = r.problems.size();
      send_fault(target, fail, r);
      const bool answered = r.problems.size() == problems_before;
      // The node writes a batch within milliseconds under the workload; it must then exit
      // through fatal(), with its status, and nothing else.
      const std::optional<int> status = processes_.wait_exit(target, 10s);
      if (!status) {
        r.problems.push_back("n" + std::to_string(target) +
                             " did not exit within 10 s of a failed fdatasync");
        processes_.kill(target);
      } else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != storage::kFatalExitStatus) {
        r.problems.push_back("n" + std::to_string(target) + " ended with " +
                             describe_wait_status(*status) + " after a failed fdatasync, not " +
                             "the fatal() exit status " +
                             std::to_string(storage::kFatalExitStatus));
      } else {
        r.what += " exited " + std::to_string(storage::kFatalExitStatus) + " after " +
                  std::to_string((clock_.now_ns() - r.injected_ns) / 1'000'000) + "ms";
        if (!answered) {
          // It exited as it must; its answer to the request may be lost with it, as after any
          // crash, and then the request could only time out.
          r.problems.resize(problems_before);
          r.what += " (the answer to the fault request was lost)";
        }
      }
      sleep_checked(e.hold, interrupted_);
      processes_.start(target);
      r.healed_ns = clock_.now_ns();
      break;
    }
    default: {
      // Network faults: set up the cuts, hold, heal every node.
      r.injected_ns = clock_.now_ns();
      std::chrono::milliseconds hold = e.hold;
      if (e.kind == FaultKind::kPartitionOneWay) {
        // Half the time the leader's own link, otherwise any pair.
        std::size_t from = e.pick % 2 == 0 ? l : 1 + (e.pick / 2) % n;
        std::size_t to = rest[(e.pick / 8) % rest.size()];
        if (to == from) to = l;
        if ((e.pick / 64) % 2 == 1) std::swap(from, to);
        static const char* kWhere[] = {"at sender", "at receiver", "at both ends"};
        r.what = name + " [n" + std::to_string(from) + "->n" + std::to_string(to) + ", " +
                 kWhere[(e.pick / 128) % 3] + "]";
        cut_one_way(from, to, (e.pick / 128) % 3, r);
      } else if (e.kind == FaultKind::kPartitionPair) {
        const std::size_t a = e.pick % 2 == 0 ? l : follower;
        std::vector<std::size_t> candidates = others(a);
        const std::size_t b = candidates[(e.pick / 2) % candidates.size()];
        r.what = name + " [n" + std::to_string(a) + "<->n" + std::to_string(b) + "]";
        cut_both(a, b, r);
      } else if (e.kind == FaultKind::kIsolateLeader) {
        r.what = name + " [n" + std::to_string(l) + "]";
        for (std::size_t o : rest) cut_both(l, o, r);
      } else if (e.kind == FaultKind::kLongIsolation) {
        const std::size_t target = e.pick % 2 == 0 ? l : follower;
        r.what = name + " [n" + std::to_string(target) + (target == l ? " leader]" : "]");
        for (std::size_t o : others(target)) cut_both(target, o, r);
      } else if (e.kind == FaultKind::kQuorumLoss) {
        const std::size_t hub = follower;
        r.what =
            name + " [hub n" + std::to_string(hub) + ", old leader n" + std::to_string(l) + "]";
        for (std::size_t a = 1; a <= n; ++a) {
          for (std::size_t b = a + 1; b <= n; ++b) {
            if (a != hub && b != hub) cut_both(a, b, r);
          }
        }
      } else if (e.kind == FaultKind::kConstrainedElection) {
        // First the lagging node misses part of the log, then the leader is cut off and the
        // lagging node is the only one still connected to all the others.
        const std::size_t lagging = follower;
        r.what = name + " [lagging n" + std::to_string(lagging) + ", old leader n" +
                 std::to_string(l) + "]";
        cut_both(l, lagging, r);
        sleep_checked(e.hold / 2, interrupted_);
        for (std::size_t o : rest) {
          if (o != lagging) cut_both(l, o, r);
        }
        for (std::size_t a : rest) {
          for (std::size_t b : rest) {
            if (a < b && a != lagging && b != lagging) cut_both(a, b, r);
          }
        }
        hold = e.hold - e.hold / 2;
      } else if (e.kind == FaultKind::kChained) {
        std::vector<std::size_t> line = rest;
        line.insert(line.begin() + static_cast<std::ptrdiff_t>(line.size() / 2), l);
        r.what = name + " [" + node_list(line) + " in a line]";
        for (std::size_t i = 0; i < line.size(); ++i) {
          for (std::size_t j = i + 2; j < line.size(); ++j) cut_both(line[i], line[j], r);
        }
      }
      sleep_checked(hold, interrupted_);
      heal_network(r);
      r.healed_ns = clock_.now_ns();
      break;
    }
  }
  return r;
}

std::vector<std::string> Injector::heal_everything() {
  EpisodeRecord r;
  for (std::size_t i = 1; i <= processes_.size(); ++i) {
    if (processes_.paused(i)) processes_.resume(i);
    if (!processes_.running(i)) processes_.start(i);
  }
  heal_network(r);
  return r.problems;
}

std::vector<std::string> Injector::restart_unexpected_exits() {
  std::vector<std::string> problems;
  for (std::size_t i = 1; i <= processes_.size(); ++i) {
    if (auto status = processes_.exited(i)) {
      problems.push_back("n" + std::to_string(i) + " exited by itself (" +
                         describe_wait_status(*status) + "); see its log");
      processes_.start(i);
    }
  }
  return problems;
}

}  // namespace paxoskv::nemesis
