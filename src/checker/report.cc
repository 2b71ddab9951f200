#include "checker/report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace paxoskv::checker {

namespace {

std::string milliseconds(std::chrono::nanoseconds elapsed) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(elapsed.count()) / 1e6);
  return buf;
}

std::string format_stats(const HistoryStats& s) {
  return std::to_string(s.operations) + " operations on " + std::to_string(s.keys) + " keys: put " +
         std::to_string(s.puts) + ", get " + std::to_string(s.gets) + ", delete " +
         std::to_string(s.deletes) + ", cas " + std::to_string(s.cas) + " (" +
         std::to_string(s.cas_succeeded) + " succeeded, " + std::to_string(s.cas_failed) +
         " failed); " + std::to_string(s.unknown_outcomes) + " with unknown outcome";
}

void format_violation(const Violation& v, std::string& out) {
  out += "key " + describe_value(v.key) + ": " + v.reason + "\n";
  if (v.prefix_length > 0) {
    out += "  longest linearizable prefix: " + std::to_string(v.prefix_length) + " operations";
    out += v.prefix_tail.size() < v.prefix_length
               ? ", the last " + std::to_string(v.prefix_tail.size()) + ":\n"
               : ":\n";
    for (const Violation::Step& step : v.prefix_tail) {
      out +=
          "    " + describe_operation(step.op) + "  => " + describe_value(step.value_after) + "\n";
    }
  }
  if (v.value_after_prefix || v.prefix_length > 0) {
    out += "  value after the prefix: " + describe_value(v.value_after_prefix) + "\n";
  }
  if (!v.unplaced.empty()) out += "  operations that could not be placed:\n";
  for (const Violation::Unplaced& u : v.unplaced) {
    out += "    " + describe_operation(u.op) + "\n      " + u.why + "\n";
  }
}

nlohmann::ordered_json op_json(const Operation& op) {
  auto j = nlohmann::ordered_json::parse(to_json_line(op));
  j["line"] = op.line;
  return j;
}

nlohmann::ordered_json optional_json(const std::optional<std::string>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string format_report(const CheckResult& result) {
  std::string out = "history: " + format_stats(result.stats) + "\n";
  out += "checked in " + milliseconds(result.elapsed) + " (" + std::to_string(result.search_steps) +
         " search steps, " + std::to_string(result.search_states) + " memoised states)\n";
  out += "verdict: " + std::string(verdict_name(result.verdict));
  if (result.verdict == Verdict::kNotLinearizable) {
    out += " (" + std::to_string(result.violations.size()) + " of " +
           std::to_string(result.stats.keys) + " keys)";
  }
  out += "\n";
  for (const Violation& v : result.violations) format_violation(v, out);
  if (!result.gave_up_keys.empty()) {
    out += "gave up (budget exhausted) on " + std::to_string(result.gave_up_keys.size()) + " keys:";
    for (const std::string& key : result.gave_up_keys) out += " " + describe_value(key);
    out += "\n";
  }
  return out;
}

std::string report_json(const CheckResult& result) {
  using json = nlohmann::ordered_json;
  const HistoryStats& s = result.stats;
  json j;
  j["verdict"] = verdict_name(result.verdict);
  j["operations"] = s.operations;
  j["keys"] = s.keys;
  j["by_kind"] = {{"put", s.puts}, {"get", s.gets}, {"delete", s.deletes}, {"cas", s.cas}};
  j["cas_succeeded"] = s.cas_succeeded;
  j["cas_failed"] = s.cas_failed;
  j["unknown_outcomes"] = s.unknown_outcomes;
  j["elapsed_ms"] = static_cast<double>(result.elapsed.count()) / 1e6;
  j["search_steps"] = result.search_steps;
  j["memoised_states"] = result.search_states;
  j["violations"] = json::array();
  for (const Violation& v : result.violations) {
    json jv;
    jv["key"] = v.key;
    jv["reason"] = v.reason;
    jv["prefix_length"] = v.prefix_length;
    jv["prefix_tail"] = json::array();
    for (const Violation::Step& step : v.prefix_tail) {
      jv["prefix_tail"].push_back(
          {{"op", op_json(step.op)}, {"value_after", optional_json(step.value_after)}});
    }
    jv["value_after_prefix"] = optional_json(v.value_after_prefix);
    jv["unplaced"] = json::array();
    for (const Violation::Unplaced& u : v.unplaced) {
      jv["unplaced"].push_back({{"op", op_json(u.op)}, {"why", u.why}});
    }
    j["violations"].push_back(std::move(jv));
  }
  j["gave_up_keys"] = result.gave_up_keys;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace paxoskv::checker
