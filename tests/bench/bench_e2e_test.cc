// `paxoskv bench` end to end: the real binary against a real 3-node cluster for about 2 s, then
// the summary JSON and the CSV are checked. Every process is bounded in time and killed by PID.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "local_cluster.h"

extern char** environ;

namespace paxoskv::testing {
namespace {

struct Exit {
  int code = -1;  // -1: killed after the time limit
  std::string output;
};

// Runs the paxoskv binary with `args` (stdout and stderr to a file), at most `limit` long.
Exit run_paxoskv(const std::vector<std::string>& args, const std::string& dir,
                 std::chrono::seconds limit) {
  const std::string binary = binary_dir() + "/paxoskv";
  const std::string log = dir + "/bench-output.txt";
  std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot start " << binary;
  Exit result;
  if (rc != 0) return result;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      status = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (status != -1 && WIFEXITED(status)) result.code = WEXITSTATUS(status);
  std::ifstream in(log);
  std::ostringstream text;
  text << in.rdbuf();
  result.output = text.str();
  return result;
}

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ",") + i;
  return s;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(BenchEndToEnd, MixedClosedLoopAgainstARealCluster) {
  LocalCluster cluster(3);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_leader(std::chrono::seconds(15))) << cluster.log_tail(1);
  const std::string json_path = cluster.dir() + "/bench.json";
  const std::string csv_path = cluster.dir() + "/bench.csv";
  const std::int64_t started_us = now_us();
  const Exit e = run_paxoskv({"bench",
                              "--endpoints",
                              join(cluster.endpoints()),
                              "--in-flight",
                              "8",
                              "--connections",
                              "2",
                              "--duration-s",
                              "2",
                              "--warmup-s",
                              "0.3",
                              "--read-ratio",
                              "0.4",
                              "--cas-ratio",
                              "0.2",
                              "--keys",
                              "50",
                              "--json",
                              json_path,
                              "--csv",
                              csv_path},
                             cluster.dir(), std::chrono::seconds(60));
  const std::int64_t finished_us = now_us();
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_NE(e.output.find("ops/s"), std::string::npos) << "no progress line: " << e.output;
  EXPECT_NE(e.output.find("INTERVAL"), std::string::npos) << "no summary table: " << e.output;

  std::ifstream in(json_path);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["system"], "paxoskv");
  EXPECT_EQ(j["generator"], "paxoskv bench");
  EXPECT_EQ(j["workload"]["keys"], 50);
  EXPECT_EQ(j["workload"]["endpoints"].size(), 3u);
  EXPECT_FALSE(j["cluster"]["leader_id"].is_null());
  EXPECT_EQ(j["cluster"]["nodes"].size(), 3u);
  ASSERT_EQ(j["intervals"].size(), 1u);
  const auto& interval = j["intervals"][0];
  EXPECT_EQ(interval["mode"], "closed");
  EXPECT_EQ(interval["in_flight"], 8);
  EXPECT_GE(interval["elapsed_s"].get<double>(), 2.0);
  std::uint64_t sum = 0;
  for (const char* kind : {"put", "get", "cas"}) {
    ASSERT_TRUE(interval["ops"].contains(kind)) << kind;
    const auto& s = interval["ops"][kind];
    EXPECT_GT(s["ok"].get<std::uint64_t>(), 0u) << kind;
    EXPECT_GT(s["throughput_per_s"].get<double>(), 0.0) << kind;
    EXPECT_GT(s["p50_us"].get<double>(), 0.0) << kind;
    EXPECT_LE(s["p50_us"].get<double>(), s["p99_us"].get<double>()) << kind;
    EXPECT_LE(s["p99_us"].get<double>(), s["max_us"].get<double>()) << kind;
    sum += s["count"].get<std::uint64_t>();
  }
  const auto& total = interval["total"];
  EXPECT_EQ(total["count"].get<std::uint64_t>(), sum);
  EXPECT_EQ(total["errors"], 0);
  EXPECT_EQ(total["timeouts"], 0);

  // The CSV holds exactly the counted requests, timed in Unix microseconds within the run.
  std::ifstream csv(csv_path);
  std::string line;
  ASSERT_TRUE(std::getline(csv, line));
  EXPECT_EQ(line, "id,type,due_us,sent_us,received_us,status");
  std::uint64_t rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    std::istringstream fields(line);
    std::string id, type, due, sent, received, status;
    std::getline(fields, id, ',');
    std::getline(fields, type, ',');
    std::getline(fields, due, ',');
    std::getline(fields, sent, ',');
    std::getline(fields, received, ',');
    std::getline(fields, status, ',');
    ASSERT_TRUE(type == "put" || type == "get" || type == "cas") << line;
    ASSERT_EQ(status, "ok") << line;
    ASSERT_LE(std::stoll(due), std::stoll(sent)) << line;
    ASSERT_LE(std::stoll(sent), std::stoll(received)) << line;
    ASSERT_GE(std::stoll(due), started_us) << line;
    ASSERT_LE(std::stoll(received), finished_us) << line;
  }
  EXPECT_EQ(rows, sum);
}

TEST(BenchEndToEnd, UnreachableClusterExitsOne) {
  LocalCluster cluster(1);  // never started: its port has no listener
  const Exit e = run_paxoskv({"bench", "--endpoints", cluster.client_address(1), "--duration-s",
                              "1", "--request-timeout-ms", "500", "--quiet"},
                             cluster.dir(), std::chrono::seconds(30));
  EXPECT_EQ(e.code, 1) << e.output;
  EXPECT_NE(e.output.find("no endpoint could be reached"), std::string::npos) << e.output;
}

TEST(BenchEndToEnd, BadWorkloadExitsTwo) {
  LocalCluster cluster(1);
  const Exit e = run_paxoskv({"bench", "--workload", cluster.dir() + "/missing.toml"},
                             cluster.dir(), std::chrono::seconds(30));
  EXPECT_EQ(e.code, 2) << e.output;
}

}  // namespace
}  // namespace paxoskv::testing
