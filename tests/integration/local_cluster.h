// Real paxoskv-server processes on 127.0.0.1 for integration tests.
//
// Every process is started with posix_spawn and stopped by its PID (SIGTERM, then SIGKILL) in
// the destructor, whatever the test did. Ports are free ports picked by binding port 0, so tests
// can run in parallel. Every wait is bounded by a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"

namespace paxoskv::testing {

class LocalCluster {
 public:
  // Writes the configuration of `nodes` nodes into a fresh temporary directory. `extra` adds
  // "key = value" lines per section ("network", "consensus", "server", "log").
  explicit LocalCluster(std::size_t nodes,
                        std::map<std::string, std::vector<std::string>> extra = {});
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  void start_all();
  void start(std::size_t node);           // node numbers are 1..n
  void kill(std::size_t node);            // SIGKILL, then reap
  void stop(std::size_t node);            // SIGTERM, then reap (SIGKILL after 5 s)
  bool running(std::size_t node) const;
  pid_t pid(std::size_t node) const;

  std::size_t size() const { return nodes_.size(); }
  std::string client_address(std::size_t node) const;
  std::vector<std::string> endpoints() const;
  std::string config_path(std::size_t node) const;
  const std::string& dir() const { return dir_; }

  // A blocking client over every endpoint (or just `only`).
  client::Client client(std::optional<std::size_t> only = std::nullopt,
                        std::chrono::milliseconds request_timeout = std::chrono::seconds(10)) const;
  // The node number whose status says it leads, once every running node agrees on it.
  std::optional<std::size_t> wait_for_leader(std::chrono::milliseconds timeout) const;
  // Polls `condition` every 20 ms until it holds or `timeout` passes.
  static bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
  std::string log_tail(std::size_t node) const;

 private:
  struct Node {
    std::uint16_t peer_port = 0;
    std::uint16_t client_port = 0;
    pid_t pid = -1;
  };
  std::string dir_;
  std::vector<Node> nodes_;
};

// The directory holding paxoskv-server (build/bin), from the test binary's own location.
std::string binary_dir();

}  // namespace paxoskv::testing
