// `paxoskv bench`: command-line parsing and the run itself.
//
//   paxoskv bench [--workload FILE.toml] [--endpoints host:port,...] [--in-flight N | --rate R]
//                 [--duration-s D] [--warmup-s W] [--read-ratio R] [--cas-ratio C] [--keys K]
//                 [--distribution uniform|zipfian] [--zipf-theta T] [--key-size B]
//                 [--value-size B] [--connections N] [--threads N] [--seed S]
//                 [--attempt-timeout-ms MS] [--request-timeout-ms MS]
//                 [--json OUT.json] [--csv OUT.csv] [--quiet]
//
// Flags override the workload file (see workload.h); without --workload the flags alone define
// one interval. Endpoints: --endpoints, else the workload's `endpoints`, else $PAXOSKV_ENDPOINTS,
// else the three local nodes.
//
// A run: ask every endpoint for its status (exit 1 if none answers); if any interval reads or
// does compare-and-swap, write every key once (preload, not measured); run the first interval's
// load for warmup_s (not measured); run each interval; stop issuing and wait for the requests in
// flight (at most the request timeout); print the table, write the JSON and the CSV.
//
// Counting: a request belongs to the interval in which it was issued (for an open loop: in which
// it was due), even if it completes after the interval ended; elapsed_s is the time from the
// interval's start to the next one's (or to the stop). The CSV holds exactly the requests the
// JSON counts -- warm-up and preload requests are left out -- in order of completion per second.
//
// Exit status: 0 when the run completed (even with errors), 1 when no endpoint could be reached,
// 2 on usage or workload errors (and when an output file cannot be written).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "client/bench/workload.h"

namespace paxoskv::bench {

inline constexpr int kExitRunCompleted = 0;
inline constexpr int kExitUnreachable = 1;
inline constexpr int kExitUsage = 2;

struct BenchOptions {
  Workload workload;  // validated; endpoints resolved
  std::uint32_t attempt_timeout_ms = 1000;
  std::uint32_t request_timeout_ms = 5000;
  std::optional<std::string> json_path;
  std::optional<std::string> csv_path;
  bool quiet = false;
  std::uint64_t seed = 1;
  std::uint32_t threads = 1;  // io_context threads; at most one per connection
};

struct BenchParse {
  std::optional<BenchOptions> options;  // set when a run should happen
  int exit_code = kExitRunCompleted;    // otherwise: 0 after --help, 2 after a usage error
};

// argv[0] is "bench". Help goes to `out`, errors to `err` ("paxoskv bench: error: ..." lines).
BenchParse parse_bench_args(int argc, const char* const* argv, const char* env_endpoints,
                            std::ostream& out, std::ostream& err);

// Runs the benchmark; progress goes to `err` (unless quiet), the summary table to `out`.
int run_bench(const BenchOptions& options, std::ostream& out, std::ostream& err);

// parse_bench_args, then run_bench.
int bench_main(int argc, const char* const* argv, const char* env_endpoints, std::ostream& out,
               std::ostream& err);

}  // namespace paxoskv::bench
