// Workload files: what parses, what is rejected (naming the key), and how flags override.
#include "client/bench/workload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "client/bench/runner.h"

namespace paxoskv::bench {
namespace {

constexpr const char* kGood = R"(
keys = 500
distribution = "zipfian"
zipf_theta = 0.8
key_size = 12
value_size = 100
connections = 2
warmup_s = 0.5
endpoints = ["127.0.0.1:1", "127.0.0.1:2"]

[[interval]]
name = "w"
duration_s = 3
mode = "closed"
in_flight = 8

[[interval]]
duration_s = 2.5
mode = "open"
rate_per_s = 1000
read_ratio = 0.25
cas_ratio = 0.5
)";

bool has_error(const std::vector<WorkloadError>& errors, const std::string& key,
               const std::string& reason_part) {
  return std::any_of(errors.begin(), errors.end(), [&](const WorkloadError& e) {
    return e.key == key && e.reason.find(reason_part) != std::string::npos;
  });
}

std::string dump(const std::vector<WorkloadError>& errors) {
  std::string s;
  for (const auto& e : errors) s += e.key + ": " + e.reason + "\n";
  return s;
}

TEST(WorkloadToml, ParsesEveryKey) {
  WorkloadLoad load = parse_workload_toml(kGood, "good.toml");
  ASSERT_TRUE(load.errors.empty()) << dump(load.errors);
  Workload w = load.workload;
  apply_overrides(w, {});
  EXPECT_TRUE(validate(w).empty()) << dump(validate(w));
  EXPECT_EQ(w.keys, 500u);
  EXPECT_EQ(w.distribution, Distribution::kZipfian);
  EXPECT_DOUBLE_EQ(w.zipf_theta, 0.8);
  EXPECT_EQ(w.key_size, 12u);
  EXPECT_EQ(w.value_size, 100u);
  EXPECT_EQ(w.connections, 2u);
  EXPECT_DOUBLE_EQ(w.warmup_s, 0.5);
  EXPECT_EQ(w.endpoints, (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
  ASSERT_EQ(w.intervals.size(), 2u);
  EXPECT_EQ(w.intervals[0].name, "w");
  EXPECT_EQ(w.intervals[0].mode, LoopMode::kClosed);
  EXPECT_EQ(w.intervals[0].in_flight, 8u);
  EXPECT_DOUBLE_EQ(w.intervals[0].duration_s, 3);
  EXPECT_EQ(w.intervals[1].name, "open-1000/s");  // unnamed: named after its loop
  EXPECT_EQ(w.intervals[1].mode, LoopMode::kOpen);
  EXPECT_DOUBLE_EQ(w.intervals[1].rate_per_s, 1000);
  EXPECT_DOUBLE_EQ(w.intervals[1].read_ratio, 0.25);
  EXPECT_DOUBLE_EQ(w.intervals[1].cas_ratio, 0.5);
}

TEST(WorkloadToml, UnknownKeysAreErrorsNamingTheKey) {
  WorkloadLoad load = parse_workload_toml(R"(
kees = 5
[[interval]]
duration_s = 1
mode = "closed"
in_flight = 1
in_flights = 2
[server]
x = 1
)",
                                          "t.toml");
  EXPECT_TRUE(has_error(load.errors, "kees", "unknown key")) << dump(load.errors);
  EXPECT_TRUE(has_error(load.errors, "interval[0].in_flights", "unknown key"));
  EXPECT_TRUE(has_error(load.errors, "server", "unknown key"));
  EXPECT_EQ(load.errors.size(), 3u) << dump(load.errors);
}

TEST(WorkloadToml, WrongTypesAndMissingKeysAreAllReported) {
  WorkloadLoad load = parse_workload_toml(R"(
keys = "many"
distribution = "normal"
connections = 0
endpoints = ["nonsense"]
[[interval]]
mode = "closed"
rate_per_s = 5
[[interval]]
duration_s = "long"
mode = "sideways"
)",
                                          "t.toml");
  const auto& e = load.errors;
  EXPECT_TRUE(has_error(e, "keys", "must be an integer, got a string")) << dump(e);
  EXPECT_TRUE(has_error(e, "distribution", "\"uniform\" or \"zipfian\""));
  EXPECT_TRUE(has_error(e, "connections", "between 1 and"));
  EXPECT_TRUE(has_error(e, "endpoints[0]", ""));
  EXPECT_TRUE(has_error(e, "interval[0].in_flight", "is required when mode = \"closed\""));
  EXPECT_TRUE(has_error(e, "interval[0].rate_per_s", "applies only to mode = \"open\""));
  EXPECT_TRUE(has_error(e, "interval[0].duration_s", "is required"));
  EXPECT_TRUE(has_error(e, "interval[1].duration_s", "must be a number, got a string"));
  EXPECT_TRUE(has_error(e, "interval[1].mode", "\"closed\" or \"open\""));
}

TEST(WorkloadToml, SyntaxErrorsAndMissingIntervals) {
  WorkloadLoad bad = parse_workload_toml("keys = = 3", "t.toml");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].reason.find("TOML syntax error at line 1"), std::string::npos);
  WorkloadLoad empty = parse_workload_toml("keys = 3", "t.toml");
  EXPECT_TRUE(has_error(empty.errors, "interval", "at least one"));
}

TEST(WorkloadValidate, RangesAreCheckedAfterOverrides) {
  WorkloadLoad load = parse_workload_toml(kGood, "good.toml");
  Workload w = load.workload;
  WorkloadOverrides o;
  o.read_ratio = 0.9;  // with cas_ratio 0.5 in interval 1: too much
  o.key_size = 3;      // "k" + 3 digits of 499 needs 4
  o.zipf_theta = 1.0;
  o.duration_s = 0;
  apply_overrides(w, o);
  const auto e = validate(w);
  EXPECT_TRUE(has_error(e, "interval[1].cas_ratio", "at most 1")) << dump(e);
  EXPECT_FALSE(has_error(e, "interval[0].cas_ratio", ""));
  EXPECT_TRUE(has_error(e, "key_size", "between 4"));
  EXPECT_TRUE(has_error(e, "zipf_theta", "strictly between 0 and 1"));
  EXPECT_TRUE(has_error(e, "interval[0].duration_s", "above 0"));
  EXPECT_TRUE(has_error(e, "interval[1].duration_s", "above 0"));
}

TEST(WorkloadOverrides, FlagsReplaceEveryIntervalsLoop) {
  Workload w = parse_workload_toml(kGood, "good.toml").workload;
  WorkloadOverrides o;
  o.rate_per_s = 50;
  o.connections = 7;
  o.cas_ratio = 0;
  apply_overrides(w, o);
  EXPECT_EQ(w.connections, 7u);
  for (const IntervalSpec& s : w.intervals) {
    EXPECT_EQ(s.mode, LoopMode::kOpen);
    EXPECT_DOUBLE_EQ(s.rate_per_s, 50);
    EXPECT_DOUBLE_EQ(s.cas_ratio, 0);
  }
  EXPECT_DOUBLE_EQ(w.intervals[1].read_ratio, 0.25);  // not overridden
  EXPECT_EQ(w.intervals[0].name, "w");                // named ones keep their name
}

TEST(WorkloadOverrides, FlagsAloneDefineOneInterval) {
  Workload w = default_workload();
  WorkloadOverrides o;
  o.in_flight = 128;
  o.duration_s = 2;
  apply_overrides(w, o);
  ASSERT_EQ(w.intervals.size(), 1u);
  EXPECT_EQ(w.intervals[0].name, "closed-128");
  EXPECT_EQ(w.intervals[0].in_flight, 128u);
  EXPECT_TRUE(validate(w).empty());
}

TEST(WorkloadKeys, MinKeySize) {
  EXPECT_EQ(min_key_size(1), 2u);     // "k0"
  EXPECT_EQ(min_key_size(10), 2u);    // "k9"
  EXPECT_EQ(min_key_size(11), 3u);    // "k10"
  EXPECT_EQ(min_key_size(1000), 4u);  // "k999"
}

// The command line: flags over the file, endpoints precedence, errors naming flags or keys.
struct Args {
  BenchParse parse;
  std::string out, err;
};

Args parse_args(std::vector<const char*> args, const char* env = nullptr) {
  args.insert(args.begin(), "bench");
  std::ostringstream out, err;
  Args a{parse_bench_args(static_cast<int>(args.size()), args.data(), env, out, err), "", ""};
  a.out = out.str();
  a.err = err.str();
  return a;
}

std::string write_temp(const std::string& text) {
  // The process id keeps tests that ctest runs side by side off each other's file.
  std::string path =
      ::testing::TempDir() + "/bench_workload_test_" + std::to_string(::getpid()) + ".toml";
  std::ofstream(path) << text;
  return path;
}

TEST(BenchArgs, FileThenFlagsThenValidation) {
  const std::string path = write_temp(kGood);
  Args a = parse_args({"--workload", path.c_str(), "--in-flight", "32", "--value-size", "7",
                       "--json", "x.json", "--quiet"});
  ASSERT_TRUE(a.parse.options) << a.err;
  const BenchOptions& o = *a.parse.options;
  EXPECT_EQ(o.workload.value_size, 7u);
  EXPECT_EQ(o.workload.intervals[1].mode, LoopMode::kClosed);
  EXPECT_EQ(o.workload.intervals[1].in_flight, 32u);
  EXPECT_EQ(o.workload.endpoints, (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
  EXPECT_EQ(o.json_path, "x.json");
  EXPECT_TRUE(o.quiet);
}

TEST(BenchArgs, EndpointsFlagBeatsFileBeatsEnvironment) {
  const std::string path = write_temp(kGood);
  Args flag = parse_args({"--workload", path.c_str(), "--endpoints", "h:9"}, "e:1");
  ASSERT_TRUE(flag.parse.options) << flag.err;
  EXPECT_EQ(flag.parse.options->workload.endpoints, std::vector<std::string>{"h:9"});
  Args file = parse_args({"--workload", path.c_str()}, "e:1");
  ASSERT_TRUE(file.parse.options);
  EXPECT_EQ(file.parse.options->workload.endpoints.size(), 2u);
  Args env = parse_args({}, "e:1,e:2");
  ASSERT_TRUE(env.parse.options) << env.err;
  EXPECT_EQ(env.parse.options->workload.endpoints, (std::vector<std::string>{"e:1", "e:2"}));
  Args none = parse_args({});
  ASSERT_TRUE(none.parse.options);
  EXPECT_EQ(none.parse.options->workload.endpoints.size(), 3u);
}

TEST(BenchArgs, UsageErrorsExitTwoAndNameTheProblem) {
  Args both = parse_args({"--in-flight", "1", "--rate", "5"});
  EXPECT_EQ(both.parse.exit_code, kExitUsage);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;

  Args ratio = parse_args({"--read-ratio", "1.5"});
  EXPECT_FALSE(ratio.parse.options);
  EXPECT_EQ(ratio.parse.exit_code, kExitUsage);
  EXPECT_NE(ratio.err.find("--read-ratio: must be between 0 and 1"), std::string::npos)
      << ratio.err;

  Args missing = parse_args({"--workload", "/nonexistent/w.toml"});
  EXPECT_EQ(missing.parse.exit_code, kExitUsage);
  EXPECT_NE(missing.err.find("/nonexistent/w.toml: cannot read file"), std::string::npos)
      << missing.err;

  const std::string path = write_temp("bogus = 1\n[[interval]]\nmode=\"open\"\nduration_s=1\n");
  Args bad = parse_args({"--workload", path.c_str()});
  EXPECT_EQ(bad.parse.exit_code, kExitUsage);
  EXPECT_NE(bad.err.find(": bogus: unknown key"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find(": interval[0].rate_per_s: is required"), std::string::npos) << bad.err;

  Args endpoints = parse_args({"--endpoints", ""});
  EXPECT_EQ(endpoints.parse.exit_code, kExitUsage);
}

TEST(BenchArgs, HelpExitsZero) {
  Args help = parse_args({"--help"});
  EXPECT_FALSE(help.parse.options);
  EXPECT_EQ(help.parse.exit_code, 0);
  EXPECT_NE(help.out.find("--in-flight"), std::string::npos);
}

}  // namespace
}  // namespace paxoskv::bench
