#include "local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace paxoskv::testing {

namespace {

bool can_bind(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("cannot create a socket to probe for a free port");
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // as the node's acceptors do
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return bound;
}

// Ports come from below the kernel's ephemeral range (32768 and up by default). A port that
// bind(0) handed out could be taken, between this probe and the node's own bind, by an outgoing
// connection of a test that ctest runs alongside; the node then failed to start and its peers
// waited for it. Each process starts at its own offset (by pid) and never hands a port out twice,
// so tests that run side by side rarely probe the same ports.
std::uint16_t free_port() {
  constexpr std::uint32_t kFirstPort = 10000;
  constexpr std::uint32_t kPortCount = 20000;
  static std::uint32_t next = static_cast<std::uint32_t>(::getpid()) * 61 % kPortCount;
  for (std::uint32_t tries = 0; tries < kPortCount; ++tries) {
    const auto port = static_cast<std::uint16_t>(kFirstPort + next++ % kPortCount);
    if (can_bind(port)) return port;
  }
  throw std::runtime_error("no free port in 10000-29999 on 127.0.0.1");
}

bool reap(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || r < 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

std::string binary_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/'));
}

LocalCluster::LocalCluster(std::size_t nodes,
                           std::map<std::string, std::vector<std::string>> extra) {
  char tmpl[] = "/tmp/paxoskv-it-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  nodes_.resize(nodes);
  for (Node& n : nodes_) {
    n.peer_port = free_port();
    n.client_port = free_port();
  }
  for (std::size_t i = 1; i <= nodes; ++i) {
    const Node& self = nodes_[i - 1];
    std::map<std::string, std::vector<std::string>> sections = {
        {"node",
         {"id = " + std::to_string(i), "cluster_id = \"it\"",
          "data_dir = \"" + dir_ + "/data" + std::to_string(i) + "\""}},
        {"network",
         {"peer_listen = \"127.0.0.1:" + std::to_string(self.peer_port) + "\"",
          "client_listen = \"127.0.0.1:" + std::to_string(self.client_port) + "\""}},
        {"consensus", {"tick_ms = 5", "election_timeout_ticks = 20", "resend_timeout_ticks = 10"}},
        {"log", {}},
        {"server", {}},
    };
    for (auto& [section, lines] : extra) {
      sections[section].insert(sections[section].end(), lines.begin(), lines.end());
    }
    std::ofstream f(config_path(i));
    for (const auto& [section, lines] : sections) {
      f << "[" << section << "]\n";
      for (const std::string& line : lines) f << line << "\n";
    }
    for (std::size_t j = 1; j <= nodes; ++j) {
      f << "[[peers]]\nid = " << j << "\npeer_address = \"127.0.0.1:" << nodes_[j - 1].peer_port
        << "\"\nclient_address = \"127.0.0.1:" << nodes_[j - 1].client_port << "\"\n";
    }
  }
}

LocalCluster::~LocalCluster() {
  for (std::size_t i = 1; i <= nodes_.size(); ++i) {
    if (nodes_[i - 1].pid > 0) kill(i);
  }
  std::error_code ignored;
  std::system(("rm -rf '" + dir_ + "'").c_str());
}

std::string LocalCluster::config_path(std::size_t node) const {
  return dir_ + "/node" + std::to_string(node) + ".toml";
}

std::string LocalCluster::client_address(std::size_t node) const {
  return "127.0.0.1:" + std::to_string(nodes_.at(node - 1).client_port);
}

std::vector<std::string> LocalCluster::endpoints() const {
  std::vector<std::string> e;
  for (std::size_t i = 1; i <= nodes_.size(); ++i) e.push_back(client_address(i));
  return e;
}

void LocalCluster::start_all() {
  for (std::size_t i = 1; i <= nodes_.size(); ++i) start(i);
}

void LocalCluster::start(std::size_t node) {
  Node& n = nodes_.at(node - 1);
  if (n.pid > 0) return;
  const std::string server = binary_dir() + "/paxoskv-server";
  const std::string config = config_path(node);
  const std::string log = dir_ + "/node" + std::to_string(node) + ".log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv = {const_cast<char*>(server.c_str()), const_cast<char*>("--config"),
                             const_cast<char*>(config.c_str()), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, server.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + server);
  n.pid = pid;
}

void LocalCluster::kill(std::size_t node) {
  Node& n = nodes_.at(node - 1);
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGKILL);
  reap(n.pid, std::chrono::seconds(5));
  n.pid = -1;
}

void LocalCluster::stop(std::size_t node) {
  Node& n = nodes_.at(node - 1);
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGTERM);
  if (!reap(n.pid, std::chrono::seconds(5))) {
    ::kill(n.pid, SIGKILL);
    reap(n.pid, std::chrono::seconds(5));
  }
  n.pid = -1;
}

bool LocalCluster::running(std::size_t node) const { return nodes_.at(node - 1).pid > 0; }
pid_t LocalCluster::pid(std::size_t node) const { return nodes_.at(node - 1).pid; }

client::Client LocalCluster::client(std::optional<std::size_t> only,
                                    std::chrono::milliseconds request_timeout) const {
  client::ClientOptions options;
  options.endpoints = only ? std::vector<std::string>{client_address(*only)} : endpoints();
  options.request_timeout = request_timeout;
  options.attempt_timeout = std::chrono::milliseconds(500);
  return client::Client(options);
}

bool LocalCluster::wait_until(const std::function<bool()>& condition,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

std::optional<std::size_t> LocalCluster::wait_for_leader(std::chrono::milliseconds timeout) const {
  std::optional<std::size_t> leader;
  wait_until(
      [&] {
        leader.reset();
        std::optional<std::uint64_t> agreed;
        for (std::size_t i = 1; i <= nodes_.size(); ++i) {
          if (!running(i)) continue;
          client::ClientOptions options;
          options.endpoints = {client_address(i)};
          options.request_timeout = std::chrono::milliseconds(300);
          options.attempt_timeout = std::chrono::milliseconds(300);
          client::Client c(options);
          Response r = c.status(client_address(i));
          if (r.status != Status::kOk || !r.node || r.node->phase != "accept") return false;
          if (agreed && *agreed != r.node->leader_id) return false;
          agreed = r.node->leader_id;
          if (r.node->role == "leader") leader = i;
        }
        return leader.has_value() && agreed == leader;
      },
      timeout);
  return leader;
}

std::string LocalCluster::log_tail(std::size_t node) const {
  std::ifstream f(dir_ + "/node" + std::to_string(node) + ".log");
  std::stringstream all;
  all << f.rdbuf();
  std::string s = all.str();
  return s.size() > 3000 ? s.substr(s.size() - 3000) : s;
}

}  // namespace paxoskv::testing
