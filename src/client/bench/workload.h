// What `paxoskv bench` runs: a workload (key space, sizes, connections, warm-up) and a list of
// intervals run back to back, each a closed loop (N requests always in flight) or an open loop
// (requests due at a fixed rate), with its own mix of reads, puts and compare-and-swaps.
//
// A workload comes from a TOML file (benchmarks/*.toml), is then overridden by command-line
// flags, then validated as a whole. The file format:
//
//   keys = 1000                 # key space size
//   distribution = "uniform"    # or "zipfian"
//   zipf_theta = 0.99           # skew of "zipfian", 0 < theta < 1
//   key_size = 16               # bytes: "k" + the key's number, zero-padded
//   value_size = 256            # bytes
//   connections = 4             # one AsyncClient (one TCP connection) each
//   warmup_s = 2                # run the first interval's load this long before measuring
//   endpoints = ["127.0.0.1:7101", "127.0.0.1:7102"]   # optional
//
//   [[interval]]
//   name = "write-128"          # optional (default "closed-<in_flight>" / "open-<rate>/s")
//   duration_s = 10
//   mode = "closed"             # "closed" needs in_flight, "open" needs rate_per_s
//   in_flight = 128
//   read_ratio = 0.0            # fraction of linearizable gets
//   cas_ratio = 0.0             # fraction of compare-and-swaps; the rest are puts
//
// Unknown keys, wrong types and out-of-range values are errors naming the key; all problems are
// reported at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace paxoskv::bench {

enum class Distribution { kUniform, kZipfian };
enum class LoopMode { kClosed, kOpen };

const char* distribution_name(Distribution d);
const char* mode_name(LoopMode m);

struct IntervalSpec {
  std::string name;
  double duration_s = 10;
  LoopMode mode = LoopMode::kClosed;
  std::uint32_t in_flight = 16;  // closed loop only
  double rate_per_s = 0;         // open loop only
  double read_ratio = 0;
  double cas_ratio = 0;
};

struct Workload {
  std::uint64_t keys = 1000;
  Distribution distribution = Distribution::kUniform;
  double zipf_theta = 0.99;
  std::uint32_t key_size = 16;
  std::uint32_t value_size = 256;
  std::uint32_t connections = 1;
  double warmup_s = 1;
  std::vector<std::string> endpoints;  // empty: the command line / environment / default decides
  std::vector<IntervalSpec> intervals;
};

// Limits checked by validate(). The key space is bounded because the driver keeps the last value
// it saw of every key (8 bytes each, for compare-and-swap) and sums the zipfian constant over it.
inline constexpr std::uint64_t kMaxKeys = 100'000'000;
inline constexpr std::uint32_t kMaxKeySize = 1024;
inline constexpr std::uint32_t kMaxValueSize = 1u << 20;
inline constexpr std::uint32_t kMaxConnections = 1024;
inline constexpr std::uint32_t kMaxInFlight = 1u << 20;

// "<where>: <key>: <reason>", e.g. "write.toml: interval[1].in_flight: must be at least 1".
struct WorkloadError {
  std::string key;
  std::string reason;
};

struct WorkloadLoad {
  Workload workload;
  std::vector<WorkloadError> errors;  // empty = the workload is usable (before overrides)
};

// Parses a workload file's text. Missing keys keep the defaults above; an interval list is
// required (at least one [[interval]]).
WorkloadLoad parse_workload_toml(std::string_view text, const std::string& source_name);
// Reads and parses a file; an unreadable file is one error with an empty key.
WorkloadLoad load_workload_file(const std::string& path);

// Command-line flags; each one that is set replaces the workload's value (for the interval
// settings: in every interval).
struct WorkloadOverrides {
  std::optional<std::uint32_t> in_flight;  // makes every interval closed-loop
  std::optional<double> rate_per_s;        // makes every interval open-loop
  std::optional<double> duration_s;
  std::optional<double> warmup_s;
  std::optional<double> read_ratio;
  std::optional<double> cas_ratio;
  std::optional<std::uint64_t> keys;
  std::optional<Distribution> distribution;
  std::optional<double> zipf_theta;
  std::optional<std::uint32_t> key_size;
  std::optional<std::uint32_t> value_size;
  std::optional<std::uint32_t> connections;
};

// The workload the flags alone define: one closed-loop interval. Call apply_overrides afterwards
// as with a file.
Workload default_workload();
// Applies the flags, then names every unnamed interval after its loop ("closed-16",
// "open-5000/s").
void apply_overrides(Workload& workload, const WorkloadOverrides& overrides);

// Every problem of a complete workload (after overrides), each naming its key.
std::vector<WorkloadError> validate(const Workload& workload);

// Smallest key_size that can name `keys` distinct keys ("k" + digits of keys - 1).
std::uint32_t min_key_size(std::uint64_t keys);

}  // namespace paxoskv::bench
