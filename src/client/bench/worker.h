// One thread's share of the load: its own io_context, some of the driver's connections (one
// AsyncClient each), and the closed- and open-loop logic that keeps them busy.
//
// The driver (runner.cc) tells every worker which phase the run is in -- preload, warm-up, a
// measured interval, stop -- with begin(); everything else happens on the worker's thread.
// Results flow back through a small mutex-protected mailbox: per-second progress, CSV records of
// measured requests, and, after join(), the per-interval statistics. Completions are gathered
// locally and published to the mailbox once per event-loop turn (one lock for all the responses
// of one read), and each request's bookkeeping sits in a reused table, so the driver adds no lock
// and no allocation per request to what it measures.
//
// Connection j (0-based, driver-wide) belongs to worker j % workers. A closed loop of N requests
// keeps N / C (+1 for the first N % C connections) in flight on each of the C connections; an
// open loop at rate R runs a pacer per worker at R * (its connections / C), sending round-robin
// over its connections.
#pragma once

// clang-format off
#include <cstddef>
#include <asio.hpp>
// clang-format on

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "client/async_client.h"
#include "client/bench/keyspace.h"
#include "client/bench/pacer.h"
#include "client/bench/stats.h"
#include "client/bench/workload.h"

namespace paxoskv::bench {

using SteadyClock = std::chrono::steady_clock;

// What every worker shares, read-only once the workers start (last_seen is atomic).
struct RunContext {
  Workload workload;
  client::ClientOptions client_options;  // endpoints and timeouts; client_id is left 0 (random)
  SteadyClock::time_point t0;            // the run's time origin: phase times are ns after it
  std::unique_ptr<KeyChooser> chooser;
  // Writer id of each key's value as the driver last saw it (0 = unknown); empty unless some
  // interval does compare-and-swap.
  std::unique_ptr<std::atomic<std::uint64_t>[]> last_seen;
  bool keep_records = false;  // --csv given
  std::uint64_t seed = 1;
  std::size_t workers = 1;

  std::int64_t now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - t0).count();
  }
};

struct Phase {
  enum class Kind { kPreload, kWarmup, kMeasure, kStop };
  Kind kind = Kind::kStop;
  std::size_t interval = 0;  // kMeasure: index of the interval the requests are counted in
  IntervalSpec load;         // kWarmup, kMeasure: the loop to run (driver-wide numbers)
  std::uint32_t preload_in_flight = 0;  // kPreload
  std::int64_t start_ns = 0;            // when the phase began (RunContext::now_ns scale)
};

// One request of a measured interval, for the CSV.
struct RequestRecord {
  std::uint64_t id = 0;
  OpKind kind = OpKind::kPut;
  Outcome outcome = Outcome::kOk;
  RequestTimes times;
};

class Worker {
 public:
  Worker(std::size_t index, const RunContext& context, std::size_t intervals);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start_thread();
  // Thread-safe: switches the worker to `phase` (on its thread, as soon as it can).
  void begin(const Phase& phase);
  // Stops the io_context (abandoning anything still in flight) and joins the thread.
  void join();

  struct Progress {
    OpStats second;                      // everything completed since the last call, every phase
    std::vector<RequestRecord> records;  // measured requests completed since the last call
    std::size_t outstanding = 0;
    bool preload_done = false;  // every key of this worker's share was written once
    std::uint64_t preload_failed = 0;
  };
  // Thread-safe: takes what accumulated since the last call.
  Progress take_progress();
  // After join(): per-interval statistics.
  const std::vector<IntervalStats>& interval_stats() const { return interval_stats_; }

 private:
  struct Slot {
    std::unique_ptr<client::AsyncClient> client;
    std::uint32_t target = 0;  // closed loop: requests to keep in flight here
    std::uint32_t outstanding = 0;
  };

  void on_begin(const Phase& phase);
  void fill(std::size_t slot);
  void arm_pacer();
  void on_pacer(std::uint64_t generation);
  void issue(std::size_t slot, OpKind kind, std::uint64_t key, std::int64_t due_ns, bool preload);
  // What the driver remembers about one request in flight (the completion callback carries only
  // its index in inflight_, so it fits std::function's inline storage).
  struct InFlight {
    std::size_t slot = 0;
    std::uint64_t id = 0;
    OpKind kind = OpKind::kPut;
    std::uint64_t key = 0;
    Phase::Kind phase_kind = Phase::Kind::kStop;
    std::size_t interval = 0;
    RequestTimes times;
  };
  // One completion waiting to be published to the mailbox.
  struct Completed {
    Outcome outcome = Outcome::kOk;
    std::int64_t latency_ns = 0;
    bool compare_failed = false;
  };

  void on_done(std::uint32_t ticket, const Response& response);
  // Moves the locally gathered completions into the mailbox (one lock).
  void publish();
  std::uint32_t slot_share(std::size_t slot, std::uint32_t total) const;
  std::uint64_t next_id() { return (id_counter_++) * context_.workers + index_ + 1; }

  const std::size_t index_;
  const RunContext& context_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_;
  std::vector<Slot> slots_;
  std::vector<std::size_t> slot_connection_;  // driver-wide connection index of each slot
  Rng rng_;
  std::uint64_t id_counter_ = 0;

  Phase phase_;
  std::uint64_t phase_generation_ = 0;  // stale pacer wake-ups compare against it
  std::unique_ptr<OpenLoopPacer> pacer_;
  asio::steady_timer pacer_timer_;
  std::size_t round_robin_ = 0;
  std::uint64_t preload_next_ = 0;  // next key of this worker's preload share
  std::size_t outstanding_ = 0;
  std::vector<InFlight> inflight_;
  std::vector<std::uint32_t> inflight_free_;
  // Gathered on the worker's thread, published by publish().
  std::vector<Completed> unpublished_;
  std::vector<RequestRecord> unpublished_records_;
  std::uint64_t unpublished_preload_failed_ = 0;
  bool publish_posted_ = false;

  std::mutex mutex_;  // guards the mailbox below
  OpStats second_;
  std::vector<RequestRecord> records_;
  std::vector<IntervalStats> interval_stats_;  // worker thread only; read after join()
  bool preload_done_ = false;
  std::uint64_t preload_failed_ = 0;
  std::atomic<std::size_t> outstanding_seen_{0};
};

}  // namespace paxoskv::bench
