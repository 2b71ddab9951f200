// Command-line parsing of `paxoskv bench` (CLI11): flags over the workload file, then validation.
#include <CLI/CLI.hpp>
#include <ostream>

#include "client/bench/runner.h"
#include "client/cli.h"
#include "client/requests.h"

namespace paxoskv::bench {
namespace {

void error_line(std::ostream& err, const std::string& message) {
  err << "paxoskv bench: error: " << message << '\n';
}

template <class T>
void set_if(const CLI::Option* option, const T& value, std::optional<T>& out) {
  if (option->count() > 0) out = value;
}

// Without a workload file every value came from a flag (or its default): name the flag.
// "interval[0].rate_per_s" -> "--rate", "key_size" -> "--key-size".
std::string flag_name(std::string key) {
  if (const auto dot = key.find("]."); dot != std::string::npos) key = key.substr(dot + 2);
  if (key == "rate_per_s") return "--rate";
  if (key == "interval") return "workload";
  for (char& c : key) c = c == '_' ? '-' : c;
  return "--" + key;
}

}  // namespace

BenchParse parse_bench_args(int argc, const char* const* argv, const char* env_endpoints,
                            std::ostream& out, std::ostream& err) {
  CLI::App app{
      "Benchmark driver: runs a workload of puts, linearizable gets and compare-and-swaps against "
      "a paxoskv cluster and reports throughput and latency percentiles.",
      "paxoskv bench"};
  BenchOptions options;
  std::string workload_path;
  std::string endpoints_flag;
  WorkloadOverrides o;
  std::uint32_t in_flight = 0, key_size = 0, value_size = 0, connections = 0;
  double rate = 0, duration = 0, warmup = 0, read_ratio = 0, cas_ratio = 0, theta = 0;
  std::uint64_t keys = 0;
  std::string distribution;
  std::string json_path, csv_path;

  app.add_option("--workload", workload_path, "Workload file (TOML; see benchmarks/*.toml)");
  app.add_option("--endpoints", endpoints_flag,
                 "Comma-separated host:port client endpoints (default: the workload's, else "
                 "$PAXOSKV_ENDPOINTS, else " +
                     std::string(cli::kDefaultEndpoints) + ")");
  auto* in_flight_opt = app.add_option("--in-flight", in_flight,
                                       "Closed loop: requests kept in flight (every interval)");
  auto* rate_opt = app.add_option("--rate", rate,
                                  "Open loop: requests per second, latency counted from when "
                                  "each was due (every interval)");
  in_flight_opt->excludes(rate_opt);
  auto* duration_opt = app.add_option("--duration-s", duration, "Seconds per interval");
  auto* warmup_opt = app.add_option("--warmup-s", warmup, "Unmeasured seconds before the first");
  auto* read_opt = app.add_option("--read-ratio", read_ratio, "Fraction of linearizable gets");
  auto* cas_opt = app.add_option("--cas-ratio", cas_ratio, "Fraction of compare-and-swaps");
  auto* keys_opt = app.add_option("--keys", keys, "Key space size");
  auto* dist_opt = app.add_option("--distribution", distribution, "uniform or zipfian")
                       ->check(CLI::IsMember({"uniform", "zipfian"}));
  auto* theta_opt = app.add_option("--zipf-theta", theta, "Zipfian skew, 0 < theta < 1");
  auto* key_size_opt = app.add_option("--key-size", key_size, "Key size in bytes");
  auto* value_size_opt = app.add_option("--value-size", value_size, "Value size in bytes");
  auto* connections_opt =
      app.add_option("--connections", connections, "TCP connections (one client each)");
  app.add_option("--threads", options.threads,
                 "Event-loop threads of the driver (connections are spread over them)")
      ->check(CLI::Range(1u, 64u));
  app.add_option("--seed", options.seed, "Seed of the key and operation choices (default 1)");
  app.add_option("--attempt-timeout-ms", options.attempt_timeout_ms,
                 "How long one attempt may go unanswered before it is retried (default 1000)")
      ->check(CLI::Range(1u, 3600u * 1000u));
  app.add_option("--request-timeout-ms", options.request_timeout_ms,
                 "Deadline of one request, retries included (default 5000)")
      ->check(CLI::Range(1u, 3600u * 1000u));
  auto* json_opt = app.add_option("--json", json_path, "Write the summary JSON here");
  auto* csv_opt = app.add_option("--csv", csv_path, "Write one CSV row per measured request here");
  app.add_flag("--quiet", options.quiet, "No progress lines on stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e, out, err);
    return {std::nullopt, kExitRunCompleted};
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    if (what.empty()) what = e.get_name();
    error_line(err, what + " (run with --help for usage)");
    return {std::nullopt, kExitUsage};
  }

  Workload w;
  if (!workload_path.empty()) {
    WorkloadLoad load = load_workload_file(workload_path);
    for (const WorkloadError& e : load.errors) {
      error_line(err, workload_path + ": " + (e.key.empty() ? "" : e.key + ": ") + e.reason);
    }
    if (!load.errors.empty()) return {std::nullopt, kExitUsage};
    w = std::move(load.workload);
  } else {
    w = default_workload();
  }
  set_if(in_flight_opt, in_flight, o.in_flight);
  set_if(rate_opt, rate, o.rate_per_s);
  set_if(duration_opt, duration, o.duration_s);
  set_if(warmup_opt, warmup, o.warmup_s);
  set_if(read_opt, read_ratio, o.read_ratio);
  set_if(cas_opt, cas_ratio, o.cas_ratio);
  set_if(keys_opt, keys, o.keys);
  set_if(theta_opt, theta, o.zipf_theta);
  set_if(key_size_opt, key_size, o.key_size);
  set_if(value_size_opt, value_size, o.value_size);
  set_if(connections_opt, connections, o.connections);
  if (dist_opt->count() > 0) {
    o.distribution = distribution == "zipfian" ? Distribution::kZipfian : Distribution::kUniform;
  }
  apply_overrides(w, o);

  // Endpoints: flag > workload file > environment > default. An explicitly empty value is an
  // error, not a silent fallback, because it usually means a script's variable was unset.
  if (app.count("--endpoints") > 0 || w.endpoints.empty()) {
    std::string text = cli::kDefaultEndpoints;
    if (app.count("--endpoints") > 0) {
      text = endpoints_flag;
    } else if (env_endpoints != nullptr && *env_endpoints != '\0') {
      text = env_endpoints;
    }
    std::string problem;
    w.endpoints.clear();
    if (!client::parse_endpoint_list(text, w.endpoints, &problem)) {
      error_line(err, "--endpoints: " + problem);
      return {std::nullopt, kExitUsage};
    }
  }

  const std::vector<WorkloadError> problems = validate(w);
  for (const WorkloadError& e : problems) {
    if (workload_path.empty()) {
      error_line(err, flag_name(e.key) + ": " + e.reason);
    } else {
      error_line(err, workload_path + ": " + e.key + ": " + e.reason);
    }
  }
  if (!problems.empty()) return {std::nullopt, kExitUsage};
  options.workload = std::move(w);
  if (json_opt->count() > 0) options.json_path = json_path;
  if (csv_opt->count() > 0) options.csv_path = csv_path;
  return {std::move(options), kExitRunCompleted};
}

int bench_main(int argc, const char* const* argv, const char* env_endpoints, std::ostream& out,
               std::ostream& err) {
  BenchParse parsed = parse_bench_args(argc, argv, env_endpoints, out, err);
  if (!parsed.options) return parsed.exit_code;
  return run_bench(*parsed.options, out, err);
}

}  // namespace paxoskv::bench
