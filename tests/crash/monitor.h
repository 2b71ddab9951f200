// Polls every node's status in the background while the crash test runs.
//
// Two uses: finding the current leader when the test wants to kill it, and keeping, per server
// process (identified by the pid in its status), the largest wal_bytes it reported. wal_bytes is
// what that process's WAL writer has written AND fdatasynced since the process started, and it
// only grows, so the largest value seen before a kill is a lower bound of what the process made
// durable (faults.h explains how the test uses it and why it is not enough on its own).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/protocol.h"

namespace paxoskv::crash {

class Monitor {
 public:
  // endpoints[i] is node i + 1's client address.
  explicit Monitor(std::vector<std::string> endpoints);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  void start();
  void stop();

  // The node whose latest status, at most `max_age` old, says it leads in the accept phase.
  std::optional<std::size_t> leader(std::chrono::milliseconds max_age) const;
  // Largest wal_bytes reported by the server process `pid` of `node` (0 if it never answered).
  std::uint64_t max_wal_bytes(std::size_t node, std::int64_t pid) const;
  // Status polls that got an answer, for the summary.
  std::uint64_t answered() const { return answered_.load(std::memory_order_relaxed); }

 private:
  void run();

  struct Seen {
    std::optional<NodeStatus> last;
    std::chrono::steady_clock::time_point when;
    std::map<std::int64_t, std::uint64_t> max_wal_bytes_by_pid;
  };

  const std::vector<std::string> endpoints_;
  mutable std::mutex mu_;
  std::vector<Seen> seen_;  // guarded by mu_
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> answered_{0};
};

}  // namespace paxoskv::crash
