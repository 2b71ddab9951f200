// The crash test's write load: C writer threads, each with its own blocking Client (so each has
// its own exactly-once session), writing unique keys "w<writer>-<n>" with value "<writer>-<n>"
// one after another for as long as the test runs.
//
// Every write's outcome is recorded: kOk is an acknowledged write, which must survive anything the
// test does to the cluster; any other final answer (kTimeout after the client's retries, or an
// unexpected status) is "unknown": the write may or may not have been applied. Because every key
// is written exactly once with a value derived from the key, the final state tells exactly which
// writes were applied and whether any was applied twice (its version would be 2).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/protocol.h"

namespace paxoskv::crash {

enum class Outcome : std::uint8_t { kAcked, kUnknown };

struct WriteRecord {
  Outcome outcome = Outcome::kUnknown;
  Status status = Status::kTimeout;  // the final status the client returned
  std::int64_t revision = 0;         // store revision of an acknowledged put (= its mod_revision)
};

// Everything one writer did, in key order: writes[n] is the put of write_key(writer, n).
struct WriterLog {
  std::vector<WriteRecord> writes;
  std::map<Status, std::uint64_t> statuses;  // final statuses other than kOk, for the summary
  std::uint64_t new_sessions = 0;            // clients replaced after kSessionExpired
  std::string error;                         // an exception that stopped the writer, if any
};

std::string write_key(std::size_t writer, std::uint64_t n);
std::string write_value(std::size_t writer, std::uint64_t n);
// The (writer, n) a key was written by, or nullopt if no writer could have written it.
std::optional<std::pair<std::size_t, std::uint64_t>> parse_write_key(const std::string& key);

class Workload {
 public:
  Workload(std::vector<std::string> endpoints, std::size_t writers,
           std::chrono::milliseconds request_timeout);
  ~Workload();  // stops and joins the writers if stop() was not called
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  void start();
  // Asks every writer to finish its current write and joins them: bounded by the request timeout.
  void stop();

  // Live counters, safe from any thread.
  std::uint64_t acked() const { return acked_.load(std::memory_order_relaxed); }
  std::uint64_t unknown() const { return unknown_.load(std::memory_order_relaxed); }

  // Only after stop().
  const std::vector<WriterLog>& logs() const { return logs_; }

 private:
  void run(std::size_t writer);

  const std::vector<std::string> endpoints_;
  const std::chrono::milliseconds request_timeout_;
  std::vector<WriterLog> logs_;  // logs_[i] is written only by thread i until stop() joins it
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> acked_{0};
  std::atomic<std::uint64_t> unknown_{0};
};

}  // namespace paxoskv::crash
