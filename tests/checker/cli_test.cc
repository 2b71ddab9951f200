// The paxoskv-check executable: exit statuses 0 / 1 / 2 / 3 and what it prints. Each run is one
// short child process on a small file; std::system waits for it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "history_builder.h"

namespace paxoskv::checker {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

struct CliRun {
  int exit_status = -1;
  std::string out;
};

// ctest runs each test of this file as its own process, two at a time, so every path carries the
// process id: a shared name let one test read another's history or output.
std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "checker_cli_" + std::to_string(::getpid()) + "_" + name;
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = temp_path(name);
  std::ofstream(path) << text;
  return path;
}

std::string lines(const std::vector<Operation>& ops) {
  std::string text;
  for (const Operation& op : ops) text += to_json_line(op) + "\n";
  return text;
}

CliRun run(const std::string& args) {
  const std::string out_path = temp_path("stdout");
  const std::string command =
      std::string(PAXOSKV_CHECK_BINARY) + " " + args + " >" + out_path + " 2>&1";
  const int status = std::system(command.c_str());
  CliRun r;
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream text;
  text << std::ifstream(out_path).rdbuf();
  r.out = text.str();
  std::remove(out_path.c_str());
  return r;
}

TEST(CheckCli, LinearizableExitsZeroWithASummary) {
  const auto path = write_file("ok.jsonl", lines({put(1, "k", "a", 0, 10), get(2, "k", "a", 20, 30),
                                                  del(3, "j", 0, kUnknown)}));
  const CliRun r = run(path);
  EXPECT_EQ(r.exit_status, 0) << r.out;
  EXPECT_NE(r.out.find("3 operations on 2 keys"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 with unknown outcome"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: linearizable"), std::string::npos) << r.out;
}

TEST(CheckCli, ViolationExitsOneAndExplains) {
  const auto path = write_file(
      "bad.jsonl",
      lines({put(1, "k", "a", 0, 10), put(2, "k", "b", 20, 30), get(3, "k", "a", 40, 50)}));
  const CliRun r = run(path);
  EXPECT_EQ(r.exit_status, 1) << r.out;
  EXPECT_NE(r.out.find("verdict: not linearizable"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stale read"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("line 3: client 3 get"), std::string::npos) << r.out;
}

TEST(CheckCli, JsonOutput) {
  const auto path = write_file("json.jsonl", lines({get(1, "k", "ghost", 0, 10)}));
  const CliRun r = run(path + " --json");
  EXPECT_EQ(r.exit_status, 1) << r.out;
  EXPECT_EQ(r.out.rfind("{\"verdict\":\"not linearizable\"", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\"line\":1"), std::string::npos) << r.out;
}

TEST(CheckCli, BadInputExitsTwoNamingTheLine) {
  const auto path = write_file("syntax.jsonl", lines({put(1, "k", "a", 0, 10)}) + "{oops\n");
  const CliRun r = run(path);
  EXPECT_EQ(r.exit_status, 2) << r.out;
  EXPECT_NE(r.out.find("line 2: not valid JSON"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("verdict"), std::string::npos) << r.out;
}

TEST(CheckCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run("").exit_status, 2);
  EXPECT_EQ(run("/nonexistent/history.jsonl").exit_status, 2);
  EXPECT_EQ(run("x.jsonl --budget-ms lots").exit_status, 2);
  EXPECT_EQ(run("--help").exit_status, 0);
}

TEST(CheckCli, GivingUpExitsThree) {
  std::vector<Operation> ops;
  for (int i = 0; i < 20; ++i) ops.push_back(put(i, "k", "v" + std::to_string(i), 0, 100));
  ops.push_back(get(99, "k", "v7", 200, 300));
  const auto path = write_file("budget.jsonl", lines(ops));
  const CliRun r = run(path + " --max-steps-per-key 3");
  EXPECT_EQ(r.exit_status, 3) << r.out;
  EXPECT_NE(r.out.find("gave up"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace paxoskv::checker
