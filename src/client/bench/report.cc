#include "client/bench/report.h"

#include <cmath>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "client/status_json.h"

namespace paxoskv::bench {
namespace {

double us_1dp(double ns) {
  return std::round(ns / 100.0) / 10.0;
}

double round_1dp(double v) {
  return std::round(v * 10.0) / 10.0;
}

nlohmann::ordered_json nodes_json(const std::vector<std::string>& endpoints,
                                  const std::vector<Response>& responses) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < endpoints.size() && i < responses.size(); ++i) {
    const Response& r = responses[i];
    nlohmann::ordered_json item = {{"endpoint", endpoints[i]}};
    if (r.status == Status::kOk && r.node) {
      item.update(client::node_status_json(*r.node));
    } else {
      item["error"] = std::string(status_name(r.status)) + (r.error.empty() ? "" : ": " + r.error);
    }
    list.push_back(std::move(item));
  }
  return list;
}

std::string ms(std::uint64_t ns) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(ns < 10'000'000 ? 2 : 1) << static_cast<double>(ns) / 1e6;
  return s.str();
}

}  // namespace

nlohmann::ordered_json op_stats_json(const OpStats& s, double elapsed_s) {
  const Histogram& h = s.latency_ns;
  return {
      {"count", s.count},
      {"ok", s.ok},
      {"errors", s.errors},
      {"timeouts", s.timeouts},
      {"throughput_per_s", round_1dp(elapsed_s > 0 ? static_cast<double>(s.ok) / elapsed_s : 0.0)},
      {"mean_us", us_1dp(h.mean())},
      {"p50_us", us_1dp(static_cast<double>(h.percentile(50)))},
      {"p90_us", us_1dp(static_cast<double>(h.percentile(90)))},
      {"p99_us", us_1dp(static_cast<double>(h.percentile(99)))},
      {"p999_us", us_1dp(static_cast<double>(h.percentile(99.9)))},
      {"max_us", us_1dp(static_cast<double>(h.max()))}};
}

nlohmann::ordered_json cluster_json(const std::vector<std::string>& endpoints,
                                    const std::vector<Response>& before,
                                    const std::vector<Response>& after) {
  // The leader as the answering nodes see it; the most common non-zero answer wins.
  std::map<std::uint64_t, int> votes;
  std::map<std::uint64_t, std::string> address;
  for (const Response& r : before) {
    if (r.status != Status::kOk || !r.node) continue;
    if (r.node->leader_id != 0) ++votes[r.node->leader_id];
    address[r.node->node_id] = r.node->client_address;
  }
  nlohmann::ordered_json leader = nullptr;
  nlohmann::ordered_json leader_address = nullptr;
  int best = 0;
  for (const auto& [id, n] : votes) {
    if (n > best) {
      best = n;
      leader = id;
      leader_address = address.count(id) ? nlohmann::ordered_json(address[id]) : nullptr;
    }
  }
  nlohmann::ordered_json out = {{"leader_id", leader},
                                {"leader_client_address", leader_address},
                                {"nodes", nodes_json(endpoints, before)}};
  if (!after.empty()) out["nodes_after"] = nodes_json(endpoints, after);
  return out;
}

nlohmann::ordered_json summary_json(const Workload& w, nlohmann::ordered_json cluster,
                                    const std::vector<IntervalResult>& intervals) {
  nlohmann::ordered_json workload = {{"keys", w.keys},
                                     {"distribution", distribution_name(w.distribution)},
                                     {"key_size", w.key_size},
                                     {"value_size", w.value_size},
                                     {"connections", w.connections},
                                     {"warmup_s", w.warmup_s},
                                     {"endpoints", w.endpoints}};
  if (w.distribution == Distribution::kZipfian) workload["zipf_theta"] = w.zipf_theta;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const IntervalResult& r : intervals) {
    const bool closed = r.spec.mode == LoopMode::kClosed;
    nlohmann::ordered_json item = {
        {"name", r.spec.name},
        {"mode", mode_name(r.spec.mode)},
        {"in_flight", closed ? nlohmann::ordered_json(r.spec.in_flight) : nullptr},
        {"rate_per_s", closed ? nullptr : nlohmann::ordered_json(r.spec.rate_per_s)},
        {"duration_s", r.spec.duration_s},
        {"read_ratio", r.spec.read_ratio},
        {"cas_ratio", r.spec.cas_ratio},
        {"elapsed_s", std::round(r.elapsed_s * 1000.0) / 1000.0}};
    nlohmann::ordered_json ops = nlohmann::ordered_json::object();
    for (std::size_t k = 0; k < kOpKinds; ++k) {
      const OpStats& s = r.stats.ops[k];
      if (s.count > 0) ops[op_name(static_cast<OpKind>(k))] = op_stats_json(s, r.elapsed_s);
    }
    item["ops"] = std::move(ops);
    item["total"] = op_stats_json(r.stats.total(), r.elapsed_s);
    if (!closed) {
      // Beyond the shared schema: whether the driver kept to the schedule (see pacer.h).
      item["late_sends"] = r.stats.late_sends;
      item["max_send_lag_us"] = us_1dp(static_cast<double>(r.stats.max_send_lag_ns));
    }
    list.push_back(std::move(item));
  }
  return {{"system", "paxoskv"},
          {"generator", "paxoskv bench"},
          {"workload", std::move(workload)},
          {"cluster", std::move(cluster)},
          {"intervals", std::move(list)}};
}

void print_summary_table(std::ostream& out, const std::vector<IntervalResult>& intervals) {
  const std::vector<std::string> header = {"INTERVAL", "LOAD",   "OP",       "COUNT",   "OK",
                                           "ERRORS",   "T/OUTS", "OPS/S",    "MEAN ms", "P50 ms",
                                           "P90 ms",   "P99 ms", "P99.9 ms", "MAX ms"};
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;
  for (const IntervalResult& r : intervals) {
    const std::string load = r.spec.mode == LoopMode::kClosed
                                 ? std::to_string(r.spec.in_flight) + " in flight"
                                 : std::to_string(std::llround(r.spec.rate_per_s)) + "/s open";
    auto row = [&](const std::string& op, const OpStats& s) {
      const Histogram& h = s.latency_ns;
      rows.push_back(
          {r.spec.name, load, op, std::to_string(s.count), std::to_string(s.ok),
           std::to_string(s.errors), std::to_string(s.timeouts),
           std::to_string(
               std::llround(r.elapsed_s > 0 ? static_cast<double>(s.ok) / r.elapsed_s : 0.0)),
           ms(static_cast<std::uint64_t>(h.mean())), ms(h.percentile(50)), ms(h.percentile(90)),
           ms(h.percentile(99)), ms(h.percentile(99.9)), ms(h.max())});
    };
    int kinds = 0;
    for (std::size_t k = 0; k < kOpKinds; ++k) {
      const OpStats& s = r.stats.ops[k];
      if (s.count == 0) continue;
      ++kinds;
      row(op_name(static_cast<OpKind>(k)), s);
      if (s.compare_failed > 0) {
        notes.push_back(r.spec.name + ": " + std::to_string(s.compare_failed) + " of " +
                        std::to_string(s.ok) + " ok cas found a different value (compare failed)");
      }
    }
    if (kinds != 1) row("total", r.stats.total());
    if (r.spec.mode == LoopMode::kOpen && r.stats.late_sends > 0) {
      notes.push_back(r.spec.name + ": the driver could not keep up with " +
                      std::to_string(std::llround(r.spec.rate_per_s)) +
                      "/s: " + std::to_string(r.stats.late_sends) +
                      " requests went out more than 1 ms " + "after they were due (worst " +
                      ms(static_cast<std::uint64_t>(r.stats.max_send_lag_ns)) +
                      " ms); their latency counts from the due time");
    }
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto print = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      // Text columns left-aligned, numbers right-aligned.
      if (i < 3) {
        out << std::left << std::setw(static_cast<int>(width[i])) << row[i];
      } else {
        out << std::right << std::setw(static_cast<int>(width[i])) << row[i];
      }
      out << (i + 1 < row.size() ? "  " : "\n");
    }
  };
  print(header);
  for (const auto& row : rows) print(row);
  for (const std::string& note : notes) out << "note: " << note << '\n';
}

std::string progress_line(double at_s, const std::string& phase, const OpStats& second,
                          double second_s, std::size_t outstanding) {
  std::ostringstream s;
  s << '[' << std::setw(5) << std::fixed << std::setprecision(1) << at_s << "s] " << phase << "  "
    << std::llround(second_s > 0 ? static_cast<double>(second.ok) / second_s : 0.0) << " ops/s"
    << "  p50 " << ms(second.latency_ns.percentile(50)) << " ms"
    << "  p99 " << ms(second.latency_ns.percentile(99)) << " ms"
    << "  errors " << second.errors << "  timeouts " << second.timeouts << "  in flight "
    << outstanding;
  return s.str();
}

void write_csv_row(std::string& out, const RequestRecord& r, std::int64_t epoch_ns_at_t0) {
  auto us = [epoch_ns_at_t0](std::int64_t ns) {
    return std::to_string((epoch_ns_at_t0 + ns) / 1000);
  };
  out += std::to_string(r.id);
  out += ',';
  out += op_name(r.kind);
  out += ',';
  out += us(r.times.due_ns);
  out += ',';
  out += us(r.times.sent_ns);
  out += ',';
  out += us(r.times.received_ns);
  out += ',';
  out += outcome_name(r.outcome);
  out += '\n';
}

}  // namespace paxoskv::bench
