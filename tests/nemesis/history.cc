#include "history.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace paxoskv::nemesis {

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kPut:
      return "put";
    case OpKind::kGet:
      return "get";
    case OpKind::kDelete:
      return "delete";
    case OpKind::kCas:
      return "cas";
  }
  return "?";
}

std::string to_json_line(const HistoryOp& op) {
  // ordered_json keeps the field order, which makes the files easier to read.
  nlohmann::ordered_json j;
  j["client"] = op.client;
  j["op"] = op_kind_name(op.kind);
  j["key"] = op.key;
  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) j["value"] = op.value;
  if (op.kind == OpKind::kCas) {
    j["expected"] = op.expected ? nlohmann::ordered_json(*op.expected) : nullptr;
  }
  j["ret"] = nullptr;  // unknown outcomes, puts and deletes return nothing
  if (op.known() && op.kind == OpKind::kGet && op.read_value) j["ret"] = *op.read_value;
  if (op.known() && op.kind == OpKind::kCas && op.cas_succeeded) j["ret"] = *op.cas_succeeded;
  j["start_ns"] = op.start_ns;
  j["end_ns"] = op.end_ns ? nlohmann::ordered_json(*op.end_ns) : nullptr;
  j["status"] = status_name(op.status);  // extra field: checkers ignore it, humans read it
  return j.dump();
}

void write_history(const std::string& path, std::vector<HistoryOp> ops) {
  std::stable_sort(ops.begin(), ops.end(),
                   [](const HistoryOp& a, const HistoryOp& b) { return a.start_ns < b.start_ns; });
  std::ofstream f(path);
  for (const HistoryOp& op : ops) f << to_json_line(op) << '\n';
  f.flush();
  if (!f) throw std::runtime_error("cannot write the history to " + path);
}

namespace {

// Whether `op` may have changed its key: it is a write that applied or may have applied.
bool may_have_written(const HistoryOp& op) {
  if (op.kind == OpKind::kGet) return false;
  if (!op.known()) return true;
  return op.kind != OpKind::kCas || op.cas_succeeded.value_or(false);
}

std::string describe(const HistoryOp& op) {
  std::string s = std::string(op_kind_name(op.kind)) + " " + op.key;
  if (op.kind != OpKind::kDelete) s += "=" + op.value;
  s += " by client " + std::to_string(op.client) + " [" + std::to_string(op.start_ns) + ", " +
       std::to_string(op.end_ns.value_or(-1)) + "] ns";
  return s;
}

}  // namespace

std::vector<std::string> find_lost_writes(
    const std::vector<HistoryOp>& ops,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& final_values) {
  std::map<std::string, std::vector<const HistoryOp*>> writes_by_key;
  for (const HistoryOp& op : ops) {
    if (may_have_written(op)) writes_by_key[op.key].push_back(&op);
  }
  std::vector<std::string> lost;
  for (const auto& [key, final_value] : final_values) {
    const auto& writes = writes_by_key[key];
    for (const HistoryOp* w : writes) {
      if (!w->known()) continue;  // only acknowledged writes must survive
      const std::optional<std::string> written =
          w->kind == OpKind::kDelete ? std::nullopt : std::optional<std::string>(w->value);
      if (written == final_value) continue;
      const bool overwritable = std::any_of(writes.begin(), writes.end(), [&](const HistoryOp* o) {
        return o != w && (!o->end_ns || *o->end_ns > w->start_ns);
      });
      if (!overwritable) {
        lost.push_back("acknowledged " + describe(*w) + " is lost: the final value is " +
                       (final_value ? "\"" + *final_value + "\"" : "absent") +
                       " and no other write to the key could have come after it");
      }
    }
  }
  return lost;
}

std::optional<std::int64_t> first_write_completed_after(const std::vector<HistoryOp>& ops,
                                                        std::int64_t t_ns) {
  std::optional<std::int64_t> first;
  for (const HistoryOp& op : ops) {
    if (op.acknowledged_write() && *op.end_ns >= t_ns && (!first || *op.end_ns < *first)) {
      first = *op.end_ns;
    }
  }
  return first;
}

std::optional<std::int64_t> first_write_started_within(const std::vector<HistoryOp>& ops,
                                                       std::int64_t from_ns,
                                                       std::int64_t until_ns) {
  std::optional<std::int64_t> first;
  for (const HistoryOp& op : ops) {
    if (op.acknowledged_write() && op.start_ns >= from_ns && *op.end_ns < until_ns &&
        (!first || *op.end_ns < *first)) {
      first = *op.end_ns;
    }
  }
  return first;
}

}  // namespace paxoskv::nemesis
