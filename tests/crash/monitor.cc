#include "monitor.h"

#include <exception>

#include "client/client.h"

namespace paxoskv::crash {

Monitor::Monitor(std::vector<std::string> endpoints)
    : endpoints_(std::move(endpoints)), seen_(endpoints_.size()) {}

Monitor::~Monitor() {
  stop();
}

void Monitor::start() {
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Monitor::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void Monitor::run() {
  try {
    client::ClientOptions options;
    options.endpoints = endpoints_;
    // A dead node answers kUnavailable at once (connection refused); a frozen one must not hold
    // the poller up for long, or the wal_bytes floors and the leader go stale.
    options.request_timeout = std::chrono::milliseconds(200);
    options.attempt_timeout = std::chrono::milliseconds(200);
    client::Client kv(options);
    while (!stopping_.load(std::memory_order_relaxed)) {
      const std::vector<Response> all = kv.status_all(endpoints_);
      const auto now = std::chrono::steady_clock::now();
      {
        std::lock_guard lock(mu_);
        for (std::size_t i = 0; i < all.size() && i < seen_.size(); ++i) {
          const Response& r = all[i];
          if (r.status != Status::kOk || !r.node) continue;
          Seen& s = seen_[i];
          s.last = *r.node;
          s.when = now;
          std::uint64_t& floor = s.max_wal_bytes_by_pid[r.node->pid];
          if (r.node->wal_bytes > floor) floor = r.node->wal_bytes;
          answered_.fetch_add(1, std::memory_order_relaxed);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (const std::exception&) {
    // Only the constructor of Client can throw (bad endpoints), which the cluster never produces;
    // without a poller the test still runs, it just kills a random node for "the leader".
  }
}

std::optional<std::size_t> Monitor::leader(std::chrono::milliseconds max_age) const {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  // Two nodes may both claim leadership for a moment (an old leader that has not yet heard of the
  // new ballot), so prefer the claimant that most fresh statuses name as their leader.
  std::map<std::uint64_t, std::size_t> votes;
  std::vector<std::size_t> claimants;
  for (std::size_t i = 0; i < seen_.size(); ++i) {
    const Seen& s = seen_[i];
    if (!s.last || now - s.when > max_age || s.last->phase != "accept") continue;
    ++votes[s.last->leader_id];
    if (s.last->role == "leader") claimants.push_back(i + 1);
  }
  std::optional<std::size_t> best;
  std::size_t best_votes = 0;
  for (std::size_t node : claimants) {
    const std::size_t v = votes[node];
    if (!best || v > best_votes) {
      best = node;
      best_votes = v;
    }
  }
  return best;
}

std::uint64_t Monitor::max_wal_bytes(std::size_t node, std::int64_t pid) const {
  std::lock_guard lock(mu_);
  const auto& by_pid = seen_.at(node - 1).max_wal_bytes_by_pid;
  auto it = by_pid.find(pid);
  return it == by_pid.end() ? 0 : it->second;
}

}  // namespace paxoskv::crash
