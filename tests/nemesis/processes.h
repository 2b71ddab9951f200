// The nemesis harness's server processes: LocalCluster (tests/integration) writes the cluster's
// configuration and picks the ports; this class starts the servers itself because they need the
// extra --enable-fault-injection flag, and because the harness must see how a node ended (a node
// made to fail its fsync must exit with the fatal() status, nothing else).
//
// Every process is started with posix_spawn, tracked by PID, and reaped only by this class, so a
// PID is never signalled after it was reaped (no PID-reuse race). The destructor SIGKILLs and reaps
// whatever still runs; kill_all_from_signal_handler() does the same from a signal handler.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "local_cluster.h"

namespace paxoskv::nemesis {

class NodeProcesses {
 public:
  explicit NodeProcesses(const testing::LocalCluster& cluster);
  ~NodeProcesses();
  NodeProcesses(const NodeProcesses&) = delete;
  NodeProcesses& operator=(const NodeProcesses&) = delete;

  std::size_t size() const { return nodes_.size(); }

  // Starts node `node` (1-based) with --enable-fault-injection, appending to its log.
  void start(std::size_t node);
  // SIGKILL, then reap (a stopped process dies too).
  void kill(std::size_t node);
  void pause(std::size_t node);   // SIGSTOP
  void resume(std::size_t node);  // SIGCONT
  bool running(std::size_t node) const { return nodes_.at(node - 1).pid > 0; }
  bool paused(std::size_t node) const { return nodes_.at(node - 1).paused; }

  // If the node's process ended by itself, reaps it and returns its wait status; nullopt while it
  // runs (or when it is not started).
  std::optional<int> exited(std::size_t node);
  // Waits up to `timeout` for exited().
  std::optional<int> wait_exit(std::size_t node, std::chrono::milliseconds timeout);

  std::string log_path(std::size_t node) const;

  // Async-signal-safe: SIGKILL every running server (the destructor reaps them later).
  static void kill_all_from_signal_handler();

 private:
  struct Node {
    pid_t pid = -1;
    bool paused = false;
  };
  const testing::LocalCluster& cluster_;
  std::vector<Node> nodes_;
};

}  // namespace paxoskv::nemesis
