// `paxoskv-check HISTORY.jsonl [--json] [--budget-ms N] [--max-steps-per-key N]`
//
// Reads a history (format in operation.h), checks it for linearizability and prints a summary
// (or, with --json, one JSON object). Exit status: 0 linearizable, 1 not linearizable, 2 bad
// input or usage, 3 gave up (the budget ran out before some key was decided).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>

#include "checker/checker.h"
#include "checker/history_reader.h"
#include "checker/report.h"

namespace {

constexpr int kExitLinearizable = 0;
constexpr int kExitNotLinearizable = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitGaveUp = 3;

int run(int argc, char** argv) {
  CLI::App app{
      "Checks a paxoskv history (JSON Lines, one operation per line) for linearizability."};
  std::string path;
  bool as_json = false;
  std::uint64_t budget_ms = 0;
  std::uint64_t max_steps_per_key = 0;
  app.add_option("history", path, "history file, one JSON operation per line")->required();
  app.add_flag("--json", as_json, "print the result as one JSON object");
  app.add_option("--budget-ms", budget_ms,
                 "give up (exit 3) after this many milliseconds of checking; 0 = no limit");
  app.add_option("--max-steps-per-key", max_steps_per_key,
                 "give up on a key after this many search steps; 0 = no limit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the usage error
    return code == 0 ? 0 : kExitBadInput;
  }

  const auto read = paxoskv::checker::read_history_file(path);
  if (read.error) {
    const std::string message = path + ": " + read.error->to_string();
    std::cerr << "paxoskv-check: " << message << "\n";
    if (as_json) {
      std::cout << nlohmann::json{{"verdict", "bad input"}, {"error", message}}.dump(
                       -1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
    }
    return kExitBadInput;
  }

  paxoskv::checker::CheckOptions options;
  if (budget_ms > 0) options.time_budget = std::chrono::milliseconds(budget_ms);
  options.max_steps_per_key = max_steps_per_key;
  const auto result = paxoskv::checker::check_history(read.operations, options);
  if (as_json) {
    std::cout << paxoskv::checker::report_json(result) << "\n";
  } else {
    std::cout << paxoskv::checker::format_report(result);
  }
  switch (result.verdict) {
    case paxoskv::checker::Verdict::kLinearizable:
      return kExitLinearizable;
    case paxoskv::checker::Verdict::kNotLinearizable:
      return kExitNotLinearizable;
    case paxoskv::checker::Verdict::kGaveUp:
      return kExitGaveUp;
  }
  return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const int code = run(argc, argv);
  std::cout.flush();
  return code;
}
