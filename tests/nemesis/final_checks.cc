#include "final_checks.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "client/client.h"
#include "injector.h"

extern char** environ;

namespace paxoskv::nemesis {

using namespace std::chrono_literals;

namespace {

std::vector<std::optional<NodeStatus>> poll(const testing::LocalCluster& cluster,
                                            bool with_state_hash) {
  std::vector<std::optional<NodeStatus>> out;
  for (std::size_t i = 1; i <= cluster.size(); ++i) {
    client::ClientOptions options;
    options.endpoints = {cluster.client_address(i)};
    options.request_timeout = 1s;
    options.attempt_timeout = 500ms;
    client::Client kv(options);
    Request r;
    r.op = Op::kStatus;
    r.with_state_hash = with_state_hash;
    const Response answer = kv.send(r);
    if (answer.status == Status::kOk && answer.node) {
      out.push_back(*answer.node);
    } else {
      out.push_back(std::nullopt);
    }
  }
  return out;
}

// Every node answers, follows the same leader in the accept phase, and has applied the same
// decided index as everyone else; returns that index.
std::optional<std::uint64_t> agreed_index(const std::vector<std::optional<NodeStatus>>& all,
                                          std::string& why) {
  std::optional<std::uint64_t> leader;
  std::optional<std::uint64_t> index;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string node = "n" + std::to_string(i + 1);
    if (!all[i]) {
      why = node + " does not answer";
      return std::nullopt;
    }
    const NodeStatus& s = *all[i];
    if (s.phase != "accept" || s.leader_id == 0) {
      why = node + " has no leader (phase " + s.phase + ")";
      return std::nullopt;
    }
    if (leader && *leader != s.leader_id) {
      why = "nodes follow different leaders";
      return std::nullopt;
    }
    if (s.applied_idx != s.decided_idx || (index && *index != s.applied_idx)) {
      why = node + " decided " + std::to_string(s.decided_idx) + ", applied " +
            std::to_string(s.applied_idx);
      return std::nullopt;
    }
    leader = s.leader_id;
    index = s.applied_idx;
  }
  return index;
}

}  // namespace

FinalState settle_and_read(const testing::LocalCluster& cluster, const std::set<std::string>& keys,
                           const RunClock& clock, std::uint64_t reader_client,
                           std::chrono::milliseconds deadline,
                           const std::atomic<bool>& interrupted) {
  FinalState f;
  const auto started = std::chrono::steady_clock::now();
  const auto end = started + deadline;
  // 1. Convergence: the same applied index on every node, twice in a row 300 ms apart.
  std::optional<std::uint64_t> previous;
  std::string why = "no poll";
  bool converged = false;
  while (std::chrono::steady_clock::now() < end) {
    const std::optional<std::uint64_t> index = agreed_index(poll(cluster, false), why);
    if (index && previous == index) {
      converged = true;
      break;
    }
    previous = index;
    sleep_checked(300ms, interrupted);
  }
  f.settle_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (!converged) {
    f.problems.push_back("the cluster did not settle within " + std::to_string(deadline.count()) +
                         " ms after healing: " + why);
    return f;
  }
  f.passed.push_back("settled " + std::to_string(f.settle_time.count()) +
                     " ms after healing: one leader, every node applied index " +
                     std::to_string(*previous));

  // 2. A linearizable read of every key, as one more client of the history.
  client::ClientOptions options;
  options.endpoints = cluster.endpoints();
  options.request_timeout = 5s;
  options.attempt_timeout = 500ms;
  client::Client kv(options);
  std::size_t failed_reads = 0;
  for (const std::string& key : keys) {
    HistoryOp op;
    op.client = reader_client;
    op.kind = OpKind::kGet;
    op.key = key;
    op.start_ns = clock.now_ns();
    const Response r = kv.get(key);
    op.status = r.status;
    if (r.status == Status::kOk || r.status == Status::kNotFound) {
      op.end_ns = clock.now_ns();
      if (r.status == Status::kOk && !r.kvs.empty()) op.read_value = r.kvs.front().value;
      f.final_values.emplace_back(key, op.read_value);
    } else {
      ++failed_reads;
    }
    f.final_reads.push_back(std::move(op));
  }
  if (failed_reads > 0) {
    f.problems.push_back(std::to_string(failed_reads) + " of " + std::to_string(keys.size()) +
                         " final reads failed on a settled cluster");
  }

  // 3. Identical replicas: state_hash at one applied index on every node. The reads above change
  // nothing, but a late retry of an unknown write could still be applied: poll until stable.
  std::string mismatch;
  while (true) {
    const auto all = poll(cluster, true);
    const std::optional<std::uint64_t> index = agreed_index(all, why);
    if (index) {
      mismatch.clear();
      for (std::size_t i = 1; i < all.size(); ++i) {
        if (all[i]->state_hash != all[0]->state_hash) {
          mismatch = "n" + std::to_string(i + 1) + " state_hash " +
                     std::to_string(all[i]->state_hash) + " != n1 " +
                     std::to_string(all[0]->state_hash) + " at applied index " +
                     std::to_string(*index);
        }
      }
      if (mismatch.empty()) {
        f.applied_idx = *index;
        f.state_hash = all[0]->state_hash;
        f.passed.push_back("identical replicas: every node has state_hash " +
                           std::to_string(f.state_hash) + " at applied index " +
                           std::to_string(f.applied_idx));
        return f;
      }
    }
    if (std::chrono::steady_clock::now() >= end) break;
    sleep_checked(300ms, interrupted);
  }
  f.problems.push_back("replicas differ: " + (mismatch.empty() ? why : mismatch));
  return f;
}

CheckerRun run_checker(const std::string& history_path, const std::string& output_path,
                       std::chrono::milliseconds budget) {
  CheckerRun run;
  const std::string checker = testing::binary_dir() + "/paxoskv-check";
  if (::access(checker.c_str(), X_OK) != 0) return run;
  run.found = true;
  const std::string budget_ms = std::to_string(budget.count());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv = {
      const_cast<char*>(checker.c_str()), const_cast<char*>(history_path.c_str()),
      const_cast<char*>("--budget-ms"), const_cast<char*>(budget_ms.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, checker.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return run;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream f(output_path);
  std::stringstream all;
  all << f.rdbuf();
  run.output = all.str();
  return run;
}

}  // namespace paxoskv::nemesis
