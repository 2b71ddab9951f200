// The driver's output: the summary JSON (the schema the etcd load generator writes too), the
// human summary table, the per-second progress line and the per-request CSV.
//
// JSON latencies are microseconds with one decimal; throughput_per_s is ok / elapsed_s. CSV times
// are integer microseconds since the Unix epoch: the run takes one realtime reading next to its
// monotonic origin and adds monotonic offsets to it, so rows line up with `date +%s%6N` taken by
// another process, and a wall-clock step during the run does not bend them.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/bench/stats.h"
#include "client/bench/worker.h"
#include "client/bench/workload.h"
#include "common/protocol.h"

namespace paxoskv::bench {

struct IntervalResult {
  IntervalSpec spec;
  double elapsed_s = 0;
  IntervalStats stats;
};

// S = {"count", "ok", "errors", "timeouts", "throughput_per_s", "mean_us", "p50_us", "p90_us",
//      "p99_us", "p999_us", "max_us"}.
nlohmann::ordered_json op_stats_json(const OpStats& stats, double elapsed_s);

// What `status` told about each endpoint (responses[i] answers endpoints[i]): the leader by
// consensus of the answers, and each node's status or error. `after` (may be empty) is the same
// taken when the run ended, for fsync and log growth.
nlohmann::ordered_json cluster_json(const std::vector<std::string>& endpoints,
                                    const std::vector<Response>& before,
                                    const std::vector<Response>& after);

nlohmann::ordered_json summary_json(const Workload& workload, nlohmann::ordered_json cluster,
                                    const std::vector<IntervalResult>& intervals);

void print_summary_table(std::ostream& out, const std::vector<IntervalResult>& intervals);

// "[  12s] write-128  12345 ops/s  p50 1.23 ms  p99 4.56 ms  errors 0  timeouts 0  in flight 128"
std::string progress_line(double at_s, const std::string& phase, const OpStats& second,
                          double second_s, std::size_t outstanding);

inline constexpr const char* kCsvHeader = "id,type,due_us,sent_us,received_us,status";
// `epoch_ns_at_t0`: Unix time of the run's monotonic origin, in nanoseconds.
void write_csv_row(std::string& out, const RequestRecord& record, std::int64_t epoch_ns_at_t0);

}  // namespace paxoskv::bench
