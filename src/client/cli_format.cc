// Output of the `paxoskv` CLI in its three formats:
//   simple  etcdctl-like plain lines, raw keys and values (binary-safe)
//   json    one JSON object per invocation with every Response field; keys and values are JSON
//           strings, and bytes that are not valid UTF-8 are replaced by U+FFFD
//   table   aligned columns in a box, for people
#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "client/cli.h"
#include "client/status_json.h"

namespace paxoskv::cli {
namespace {

using Row = std::vector<std::string>;

void print_table(std::ostream& out, const Row& header, const std::vector<Row>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  auto rule = [&] {
    out << '+';
    for (std::size_t w : width) out << std::string(w + 2, '-') << '+';
    out << '\n';
  };
  auto line = [&](const Row& row) {
    out << '|';
    for (std::size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      out << ' ' << cell << std::string(width[c] - cell.size() + 1, ' ') << '|';
    }
    out << '\n';
  };
  rule();
  line(header);
  rule();
  for (const auto& row : rows) line(row);
  rule();
}

nlohmann::ordered_json kv_json(const KeyValue& kv) {
  return {{"key", kv.key},
          {"value", kv.value},
          {"create_revision", kv.create_revision},
          {"mod_revision", kv.mod_revision},
          {"version", kv.version}};
}

nlohmann::ordered_json response_json(const Response& r) {
  nlohmann::ordered_json kvs = nlohmann::ordered_json::array();
  for (const auto& kv : r.kvs) kvs.push_back(kv_json(kv));
  return {{"seq", r.seq},
          {"status", status_name(r.status)},
          {"error", r.error},
          {"leader_hint", r.leader_hint},
          {"leader_address", r.leader_address},
          {"revision", r.revision},
          {"kvs", kvs},
          {"prev_kv", r.prev_kv ? kv_json(*r.prev_kv) : nlohmann::ordered_json(nullptr)},
          {"succeeded", r.succeeded},
          {"deleted", r.deleted},
          {"more", r.more},
          {"node", r.node ? client::node_status_json(*r.node) : nlohmann::ordered_json(nullptr)}};
}

void print_json(std::ostream& out, const nlohmann::ordered_json& j) {
  // Replace rather than throw on invalid UTF-8: keys and values are arbitrary bytes.
  out << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
}

std::string peers_text(const std::vector<std::uint64_t>& peers) {
  std::string s = "[";
  for (std::size_t i = 0; i < peers.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(peers[i]);
  }
  return s + "]";
}

std::string error_text(const Response& r) {
  std::string s = status_name(r.status);
  if (!r.error.empty()) s += ": " + r.error;
  if (r.status == Status::kNotLeader && !r.leader_address.empty()) {
    s += " (leader " + r.leader_address + ")";
  }
  return s;
}

// A cas "no" can come as kCompareFailed or as kOk with succeeded = false.
bool compare_failed(const CliArgs& a, const Response& r) {
  return a.command == Command::kCas &&
         (r.status == Status::kCompareFailed || (r.status == Status::kOk && !r.succeeded));
}

}  // namespace

int render_response(const CliArgs& a, const Response& r, std::ostream& out, std::ostream& err) {
  const bool missing = r.status == Status::kNotFound ||
                       (a.command == Command::kGet && r.status == Status::kOk && r.kvs.empty());
  const bool no = missing || compare_failed(a, r);
  const bool ok = r.status == Status::kOk || r.status == Status::kNotFound ||
                  r.status == Status::kCompareFailed;
  if (a.format == OutputFormat::kJson) {
    print_json(out, response_json(r));
  } else if (!ok) {
    // Nothing on stdout: scripts must not mistake a failure for an empty result.
  } else if (a.format == OutputFormat::kSimple) {
    switch (a.command) {
      case Command::kPut:
        out << "OK\n";
        if (r.prev_kv) out << r.prev_kv->key << '\n' << r.prev_kv->value << '\n';
        break;
      case Command::kGet:
        if (!missing) out << r.kvs.front().value << '\n';
        break;
      case Command::kDel:
        out << r.deleted << '\n';
        if (r.prev_kv) out << r.prev_kv->key << '\n' << r.prev_kv->value << '\n';
        for (const auto& kv : r.kvs) out << kv.key << '\n' << kv.value << '\n';
        break;
      case Command::kCas:
        out << (compare_failed(a, r) ? "compare failed" : "OK") << '\n';
        break;
      case Command::kScan:
        for (const auto& kv : r.kvs) out << kv.key << '\n' << kv.value << '\n';
        break;
      case Command::kStatus:
        break;
    }
  } else {  // table
    const Row kv_header = {"KEY", "VALUE", "CREATE_REVISION", "MOD_REVISION", "VERSION"};
    auto kv_row = [](const KeyValue& kv) {
      return Row{kv.key, kv.value, std::to_string(kv.create_revision),
                 std::to_string(kv.mod_revision), std::to_string(kv.version)};
    };
    std::vector<Row> rows;
    switch (a.command) {
      case Command::kGet:
      case Command::kScan:
        if (missing) break;  // like simple: print nothing for an absent key
        for (const auto& kv : r.kvs) rows.push_back(kv_row(kv));
        print_table(out, kv_header, rows);
        break;
      case Command::kPut:
        print_table(out, {"STATUS", "REVISION", "PREV_VALUE"},
                    {{"OK", std::to_string(r.revision), r.prev_kv ? r.prev_kv->value : ""}});
        break;
      case Command::kDel:
        print_table(out, {"DELETED", "REVISION"},
                    {{std::to_string(r.deleted), std::to_string(r.revision)}});
        break;
      case Command::kCas:
        print_table(out, {"SUCCEEDED", "REVISION"},
                    {{compare_failed(a, r) ? "false" : "true", std::to_string(r.revision)}});
        break;
      case Command::kStatus:
        break;
    }
  }
  if (!ok) {
    err << "paxoskv: error: " << error_text(r) << '\n';
    return kExitFailure;
  }
  return no ? kExitNo : kExitOk;
}

int render_status(const CliArgs& a, const std::vector<Response>& responses, std::ostream& out,
                  std::ostream& err) {
  bool any_ok = false;
  if (a.format == OutputFormat::kJson) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < a.endpoints.size() && i < responses.size(); ++i) {
      const Response& r = responses[i];
      nlohmann::ordered_json item = {{"endpoint", a.endpoints[i]},
                                     {"status", status_name(r.status)}};
      if (r.status == Status::kOk && r.node) {
        any_ok = true;
        item["node"] = client::node_status_json(*r.node);
      } else {
        item["error"] = r.error.empty() ? error_text(r) : r.error;  // status is its own field
      }
      list.push_back(std::move(item));
    }
    print_json(out, {{"endpoints", list}});
  } else {
    std::vector<Row> rows;
    bool any_error = false;
    for (std::size_t i = 0; i < a.endpoints.size() && i < responses.size(); ++i) {
      const Response& r = responses[i];
      const std::string& ep = a.endpoints[i];
      if (r.status != Status::kOk || !r.node) {
        any_error = true;
        const std::string why =
            r.node || r.status != Status::kOk ? error_text(r) : "answer without node status";
        if (a.format == OutputFormat::kSimple) out << ep << ", error: " << why << '\n';
        rows.push_back({ep, "-", "-", "-", "-", "-", "-", "-", "-", why});
        continue;
      }
      any_ok = true;
      const NodeStatus& n = *r.node;
      Row row = {ep,
                 std::to_string(n.node_id),
                 std::to_string(n.pid),
                 n.role,
                 std::to_string(n.leader_id),
                 n.ballot,
                 std::to_string(n.decided_idx),
                 std::to_string(n.applied_idx),
                 peers_text(n.connected_peers),
                 ""};
      if (a.format == OutputFormat::kSimple) {
        out << ep << ", id=" << row[1] << ", pid=" << row[2] << ", role=" << row[3]
            << ", leader=" << row[4] << ", ballot=" << row[5] << ", decided=" << row[6]
            << ", applied=" << row[7] << ", peers=" << row[8] << '\n';
      }
      rows.push_back(std::move(row));
    }
    if (a.format == OutputFormat::kTable) {
      Row header = {"ENDPOINT", "ID",      "PID",     "ROLE",  "LEADER",
                    "BALLOT",   "DECIDED", "APPLIED", "PEERS", "ERROR"};
      // The ERROR column only when something failed, to keep the healthy view narrow.
      if (!any_error) {
        header.pop_back();
        for (auto& row : rows) row.pop_back();
      }
      print_table(out, header, rows);
    }
  }
  if (!any_ok) {
    err << "paxoskv: error: no endpoint answered the status request\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace paxoskv::cli
