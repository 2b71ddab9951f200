#include "processes.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace paxoskv::nemesis {

namespace {

// PIDs visible to the signal handler; slot i is node i + 1.
std::array<std::atomic<pid_t>, 16> g_pids{};

void publish(std::size_t node, pid_t pid) {
  if (node - 1 < g_pids.size()) g_pids[node - 1].store(pid);
}

}  // namespace

NodeProcesses::NodeProcesses(const testing::LocalCluster& cluster)
    : cluster_(cluster), nodes_(cluster.size()) {
  if (nodes_.size() > g_pids.size()) throw std::invalid_argument("too many nodes");
}

NodeProcesses::~NodeProcesses() {
  for (std::size_t i = 1; i <= nodes_.size(); ++i) kill(i);
}

std::string NodeProcesses::log_path(std::size_t node) const {
  return cluster_.dir() + "/node" + std::to_string(node) + ".log";  // LocalCluster's layout
}

void NodeProcesses::start(std::size_t node) {
  Node& n = nodes_.at(node - 1);
  if (n.pid > 0) return;
  const std::string server = testing::binary_dir() + "/paxoskv-server";
  const std::string config = cluster_.config_path(node);
  const std::string log = log_path(node);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv = {const_cast<char*>(server.c_str()), const_cast<char*>("--config"),
                             const_cast<char*>(config.c_str()),
                             const_cast<char*>("--enable-fault-injection"), nullptr};
  // The server reads PAXOSKV_<SECTION>_<KEY> variables as configuration and refuses unknown ones,
  // so the harness's own (PAXOSKV_BUILD_DIR, a user's PAXOSKV_ENDPOINTS) must not reach it.
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("PAXOSKV_", 0) != 0) env.push_back(*e);
  }
  env.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, server.c_str(), &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + server);
  n.pid = pid;
  n.paused = false;
  publish(node, pid);
}

void NodeProcesses::kill(std::size_t node) {
  Node& n = nodes_.at(node - 1);
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGKILL);
  int status = 0;
  while (::waitpid(n.pid, &status, 0) < 0 && errno == EINTR) {
  }
  n.pid = -1;
  n.paused = false;
  publish(node, -1);
}

void NodeProcesses::pause(std::size_t node) {
  Node& n = nodes_.at(node - 1);
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGSTOP);
  n.paused = true;
}

void NodeProcesses::resume(std::size_t node) {
  Node& n = nodes_.at(node - 1);
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGCONT);
  n.paused = false;
}

std::optional<int> NodeProcesses::exited(std::size_t node) {
  Node& n = nodes_.at(node - 1);
  if (n.pid <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(n.pid, &status, WNOHANG) != n.pid) return std::nullopt;
  n.pid = -1;
  n.paused = false;
  publish(node, -1);
  return status;
}

std::optional<int> NodeProcesses::wait_exit(std::size_t node, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto status = exited(node)) return status;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void NodeProcesses::kill_all_from_signal_handler() {
  for (auto& pid : g_pids) {
    const pid_t p = pid.load();
    if (p > 0) ::kill(p, SIGKILL);
  }
}

}  // namespace paxoskv::nemesis
