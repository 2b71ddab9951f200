#include "client/bench/workload.h"

#include <toml++/toml.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "client/requests.h"
#include "common/toml_type_name.h"

namespace paxoskv::bench {
namespace {

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Reads one TOML table into a Workload or an IntervalSpec, collecting errors.
class TomlReader {
 public:
  explicit TomlReader(std::vector<WorkloadError>& errors) : errors_(errors) {}

  void error(const std::string& key, std::string reason) {
    errors_.push_back({key, std::move(reason)});
  }

  // Integers in [min, max].
  template <class T>
  void unsigned_value(const std::string& key, const toml::node& node, T& out, std::uint64_t min,
                      std::uint64_t max) {
    std::optional<std::int64_t> v = node.value_exact<std::int64_t>();
    if (!v) return error(key, std::string("must be an integer, got ") + toml_type_name(node));
    if (*v < 0 || static_cast<std::uint64_t>(*v) < min || static_cast<std::uint64_t>(*v) > max) {
      return error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                            ", got " + std::to_string(*v));
    }
    out = static_cast<T>(*v);
  }

  // Integers or floats; the range is checked by validate() so flags get the same messages.
  void number_value(const std::string& key, const toml::node& node, double& out) {
    if (node.is_integer()) {
      out = static_cast<double>(node.as_integer()->get());
    } else if (node.is_floating_point()) {
      out = node.as_floating_point()->get();
    } else {
      error(key, std::string("must be a number, got ") + toml_type_name(node));
    }
  }

  std::optional<std::string> string_value(const std::string& key, const toml::node& node) {
    if (node.is_string()) return node.as_string()->get();
    error(key, std::string("must be a string, got ") + toml_type_name(node));
    return std::nullopt;
  }

 private:
  std::vector<WorkloadError>& errors_;
};

void read_interval(TomlReader& r, const std::string& prefix, const toml::table& table,
                   IntervalSpec& out) {
  std::optional<std::string> mode;
  for (auto&& [k, node] : table) {
    const std::string name(k.str());
    const std::string key = prefix + name;
    if (name == "name") {
      if (auto v = r.string_value(key, node)) out.name = *v;
    } else if (name == "duration_s") {
      r.number_value(key, node, out.duration_s);
    } else if (name == "mode") {
      mode = r.string_value(key, node);
      if (mode && *mode != "closed" && *mode != "open") {
        r.error(key, "must be \"closed\" or \"open\", got \"" + *mode + "\"");
        mode.reset();
      }
    } else if (name == "in_flight") {
      r.unsigned_value(key, node, out.in_flight, 1, kMaxInFlight);
    } else if (name == "rate_per_s") {
      r.number_value(key, node, out.rate_per_s);
    } else if (name == "read_ratio") {
      r.number_value(key, node, out.read_ratio);
    } else if (name == "cas_ratio") {
      r.number_value(key, node, out.cas_ratio);
    } else {
      r.error(key,
              "unknown key; an [[interval]] has name, duration_s, mode, in_flight, rate_per_s, "
              "read_ratio, cas_ratio");
    }
  }
  const bool has_in_flight = table.contains("in_flight");
  const bool has_rate = table.contains("rate_per_s");
  if (!table.contains("mode")) {
    r.error(prefix + "mode",
            "is required (\"closed\" with in_flight, or \"open\" with rate_per_s)");
  } else if (mode == "closed") {
    out.mode = LoopMode::kClosed;
    if (!has_in_flight) r.error(prefix + "in_flight", "is required when mode = \"closed\"");
    if (has_rate) r.error(prefix + "rate_per_s", "applies only to mode = \"open\"");
  } else if (mode == "open") {
    out.mode = LoopMode::kOpen;
    if (!has_rate) r.error(prefix + "rate_per_s", "is required when mode = \"open\"");
    if (has_in_flight) r.error(prefix + "in_flight", "applies only to mode = \"closed\"");
  }
  if (!table.contains("duration_s")) r.error(prefix + "duration_s", "is required");
}

void read_endpoints(TomlReader& r, const toml::node& node, std::vector<std::string>& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    return r.error("endpoints", std::string("must be an array of \"host:port\" strings, got ") +
                                    toml_type_name(node));
  }
  out.clear();
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string key = "endpoints[" + std::to_string(i) + "]";
    std::optional<std::string> text = r.string_value(key, *array->get(i));
    if (!text) continue;
    client::Endpoint parsed;
    std::string problem;
    if (!client::parse_endpoint(*text, parsed, &problem)) {
      r.error(key, problem);
    } else {
      out.push_back(*text);
    }
  }
  if (array->empty()) r.error("endpoints", "must name at least one endpoint (or be left out)");
}

void read_root(TomlReader& r, const toml::table& root, Workload& w) {
  for (auto&& [k, node] : root) {
    const std::string key(k.str());
    if (key == "keys") {
      r.unsigned_value(key, node, w.keys, 1, kMaxKeys);
    } else if (key == "distribution") {
      std::optional<std::string> v = r.string_value(key, node);
      if (v == "uniform") {
        w.distribution = Distribution::kUniform;
      } else if (v == "zipfian") {
        w.distribution = Distribution::kZipfian;
      } else if (v) {
        r.error(key, "must be \"uniform\" or \"zipfian\", got \"" + *v + "\"");
      }
    } else if (key == "zipf_theta") {
      r.number_value(key, node, w.zipf_theta);
    } else if (key == "key_size") {
      r.unsigned_value(key, node, w.key_size, 1, kMaxKeySize);
    } else if (key == "value_size") {
      r.unsigned_value(key, node, w.value_size, 0, kMaxValueSize);
    } else if (key == "connections") {
      r.unsigned_value(key, node, w.connections, 1, kMaxConnections);
    } else if (key == "warmup_s") {
      r.number_value(key, node, w.warmup_s);
    } else if (key == "endpoints") {
      read_endpoints(r, node, w.endpoints);
    } else if (key == "interval") {
      const toml::array* array = node.as_array();
      if (array == nullptr || !array->is_array_of_tables()) {
        r.error(key,
                std::string("must be a list of [[interval]] tables, got ") + toml_type_name(node));
        continue;
      }
      for (std::size_t i = 0; i < array->size(); ++i) {
        IntervalSpec spec;
        read_interval(r, "interval[" + std::to_string(i) + "].", *array->get(i)->as_table(), spec);
        w.intervals.push_back(std::move(spec));
      }
    } else {
      r.error(key,
              "unknown key; the workload has keys, distribution, zipf_theta, key_size, "
              "value_size, connections, warmup_s, endpoints and [[interval]] tables");
    }
  }
  if (!root.contains("interval")) r.error("interval", "at least one [[interval]] is required");
}

std::string loop_name(const IntervalSpec& s) {
  return s.mode == LoopMode::kClosed ? "closed-" + std::to_string(s.in_flight)
                                     : "open-" + format_number(s.rate_per_s) + "/s";
}

}  // namespace

const char* distribution_name(Distribution d) {
  return d == Distribution::kZipfian ? "zipfian" : "uniform";
}

const char* mode_name(LoopMode m) {
  return m == LoopMode::kOpen ? "open" : "closed";
}

WorkloadLoad parse_workload_toml(std::string_view text, const std::string& source_name) {
  WorkloadLoad load;
  TomlReader reader(load.errors);
  try {
    read_root(reader, toml::parse(text, source_name), load.workload);
  } catch (const toml::parse_error& e) {
    reader.error("", "TOML syntax error at line " + std::to_string(e.source().begin.line) +
                         ", column " + std::to_string(e.source().begin.column) + ": " +
                         std::string(e.description()));
  }
  return load;
}

WorkloadLoad load_workload_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  if (!in || !(contents << in.rdbuf())) {
    WorkloadLoad load;
    load.errors.push_back({"", "cannot read file: " + std::string(std::strerror(errno))});
    return load;
  }
  return parse_workload_toml(contents.str(), path);
}

Workload default_workload() {
  Workload w;
  w.intervals.push_back(IntervalSpec{});
  return w;
}

void apply_overrides(Workload& w, const WorkloadOverrides& o) {
  if (o.keys) w.keys = *o.keys;
  if (o.distribution) w.distribution = *o.distribution;
  if (o.zipf_theta) w.zipf_theta = *o.zipf_theta;
  if (o.key_size) w.key_size = *o.key_size;
  if (o.value_size) w.value_size = *o.value_size;
  if (o.connections) w.connections = *o.connections;
  if (o.warmup_s) w.warmup_s = *o.warmup_s;
  for (IntervalSpec& s : w.intervals) {
    if (o.in_flight) {
      s.mode = LoopMode::kClosed;
      s.in_flight = *o.in_flight;
    }
    if (o.rate_per_s) {
      s.mode = LoopMode::kOpen;
      s.rate_per_s = *o.rate_per_s;
    }
    if (o.duration_s) s.duration_s = *o.duration_s;
    if (o.read_ratio) s.read_ratio = *o.read_ratio;
    if (o.cas_ratio) s.cas_ratio = *o.cas_ratio;
    if (s.name.empty()) s.name = loop_name(s);
  }
}

std::uint32_t min_key_size(std::uint64_t keys) {
  std::uint32_t digits = 1;
  for (std::uint64_t largest = keys > 0 ? keys - 1 : 0; largest >= 10; largest /= 10) ++digits;
  return 1 + digits;
}

std::vector<WorkloadError> validate(const Workload& w) {
  std::vector<WorkloadError> errors;
  auto check = [&errors](bool ok, std::string key, std::string reason) {
    if (!ok) errors.push_back({std::move(key), std::move(reason)});
  };
  // Each condition states what must hold, so a NaN (TOML allows `nan`) fails it.
  check(w.keys >= 1 && w.keys <= kMaxKeys, "keys",
        "must be between 1 and " + std::to_string(kMaxKeys) + ", got " + std::to_string(w.keys));
  check(w.key_size >= min_key_size(w.keys) && w.key_size <= kMaxKeySize, "key_size",
        "must be between " + std::to_string(min_key_size(w.keys)) + " (\"k\" + the digits of " +
            std::to_string(w.keys) + " keys) and " + std::to_string(kMaxKeySize) + ", got " +
            std::to_string(w.key_size));
  check(
      w.value_size <= kMaxValueSize, "value_size",
      "must be at most " + std::to_string(kMaxValueSize) + ", got " + std::to_string(w.value_size));
  check(w.connections >= 1 && w.connections <= kMaxConnections, "connections",
        "must be between 1 and " + std::to_string(kMaxConnections) + ", got " +
            std::to_string(w.connections));
  check(w.warmup_s >= 0 && w.warmup_s <= 3600, "warmup_s",
        "must be between 0 and 3600 seconds, got " + format_number(w.warmup_s));
  if (w.distribution == Distribution::kZipfian) {
    check(w.zipf_theta > 0 && w.zipf_theta < 1, "zipf_theta",
          "must be strictly between 0 and 1, got " + format_number(w.zipf_theta));
  }
  check(!w.intervals.empty(), "interval", "at least one interval is required");
  for (std::size_t i = 0; i < w.intervals.size(); ++i) {
    const IntervalSpec& s = w.intervals[i];
    const std::string p = "interval[" + std::to_string(i) + "].";
    check(s.duration_s > 0 && s.duration_s <= 24 * 3600, p + "duration_s",
          "must be above 0 and at most 86400 seconds, got " + format_number(s.duration_s));
    check(s.read_ratio >= 0 && s.read_ratio <= 1, p + "read_ratio",
          "must be between 0 and 1, got " + format_number(s.read_ratio));
    check(s.cas_ratio >= 0 && s.cas_ratio <= 1, p + "cas_ratio",
          "must be between 0 and 1, got " + format_number(s.cas_ratio));
    check(!(s.read_ratio + s.cas_ratio > 1 + 1e-9), p + "cas_ratio",
          "read_ratio + cas_ratio must be at most 1, got " +
              format_number(s.read_ratio + s.cas_ratio));
    if (s.mode == LoopMode::kClosed) {
      check(s.in_flight >= 1 && s.in_flight <= kMaxInFlight, p + "in_flight",
            "must be between 1 and " + std::to_string(kMaxInFlight) + ", got " +
                std::to_string(s.in_flight));
    } else {
      check(s.rate_per_s > 0 && s.rate_per_s <= 1e7, p + "rate_per_s",
            "must be above 0 and at most 10000000, got " + format_number(s.rate_per_s));
    }
  }
  return errors;
}

}  // namespace paxoskv::bench
