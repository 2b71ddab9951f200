#include "history.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

namespace paxoskv::nemesis {

std::string to_json_line(const HistoryOp& op) {
  checker::Operation out;
  out.client = op.client;
  out.kind = op.kind;
  out.key = op.key;
  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) out.value = op.value;
  if (op.kind == OpKind::kCas) out.expected = op.expected;
  if (op.known() && op.kind == OpKind::kGet) out.read_value = op.read_value;
  if (op.known() && op.kind == OpKind::kCas) out.cas_succeeded = op.cas_succeeded;
  out.start_ns = op.start_ns;
  out.end_ns = op.end_ns;
  return checker::to_json_line(out);
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
