// The nemesis harness's clients: C logical clients, each a sequential process with its own
// AsyncClient (its own exactly-once session), all driven by one io_context thread. Each issues
// put, linearizable get, delete and cas on a small set of keys so that operations contend, and
// records every operation in the history with the run's clock.
//
// Keys: "e<epoch>-k<i>", i < keys_per_epoch; the epoch advances every key_epoch, so each key's
// history is short (bounded checker work, and an unknown outcome stays concurrent with only that
// key's later operations) while the clients of an epoch still contend on few keys.
// Values: "c<client>-<n>", unique in the run, so every read names the write it saw.
// Outcomes: kOk / kNotFound / kCompareFailed are known; anything else after the client's retries
// (a timeout, a lost session) is unknown: end_ns null, no return value.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/async_client.h"
#include "history.h"

namespace paxoskv::nemesis {

struct WorkloadOptions {
  std::size_t clients = 5;
  std::size_t keys_per_epoch = 5;
  std::chrono::milliseconds key_epoch{10'000};
  std::chrono::milliseconds think_max{3};  // random pause between two operations of a client
  std::chrono::milliseconds request_timeout{2'000};
  std::chrono::milliseconds attempt_timeout{250};
  std::uint64_t seed = 1;
};

class Workload {
 public:
  Workload(std::vector<std::string> endpoints, WorkloadOptions options, const RunClock& clock);
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  void start();
  // No new operations; waits for the ones in flight (bounded by the request timeout) and joins.
  void stop();

  // Completion time of the latest acknowledged write (run clock), or -1. Any thread.
  std::int64_t last_write_ns() const { return last_write_ns_.load(); }
  std::uint64_t completed() const { return completed_.load(); }

  // After stop().
  const std::vector<HistoryOp>& history() const { return history_; }
  std::set<std::string> keys() const;

 private:
  struct ClientState {
    std::uint64_t id = 0;
    std::unique_ptr<client::AsyncClient> kv;
    std::uint64_t next_value = 0;
    std::unique_ptr<asio::steady_timer> think;
    bool busy = false;       // an operation in flight or a pause before the next one
    bool in_flight = false;  // `current` was sent and not answered yet
    HistoryOp current;
  };

  std::string pick_key();
  void issue(ClientState& c);
  void complete(ClientState& c, const Response& r);
  void after(ClientState& c);
  std::unique_ptr<client::AsyncClient> new_client();

  const std::vector<std::string> endpoints_;
  const WorkloadOptions options_;
  const RunClock& clock_;
  asio::io_context io_;
  std::thread thread_;
  std::vector<ClientState> clients_;
  std::vector<std::unique_ptr<client::AsyncClient>> retired_;  // replaced after a lost session
  std::mt19937_64 rng_;
  // The latest value written to each key by any client, for cas expectations (loop thread only).
  std::map<std::string, std::string> last_written_;
  std::vector<HistoryOp> history_;  // loop thread only until stop() joins it
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> last_write_ns_{-1};
  std::atomic<std::uint64_t> completed_{0};
};

}  // namespace paxoskv::nemesis
