#include "checker/key_history.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "checker/checker_assert.h"

namespace paxoskv::checker {

namespace {

class ValueInterner {
 public:
  explicit ValueInterner(KeyHistory& into) : into_(into) { into_.values.assign(1, std::nullopt); }

  ValueId id_of(const std::optional<std::string>& value) {
    if (!value) return kAbsent;
    const auto [it, inserted] = ids_.try_emplace(*value, static_cast<ValueId>(into_.values.size()));
    if (inserted) {
      CHECKER_ASSERT(into_.values.size() < static_cast<std::size_t>(INT32_MAX), "too many values");
      into_.values.emplace_back(*value);
    }
    return it->second;
  }

 private:
  KeyHistory& into_;
  std::map<std::string, ValueId> ids_;
};

// The two reductions described in key_history.h.
void merge_unobserved_values(KeyHistory& kh) {
  std::vector<std::uint8_t> observed(kh.values.size(), 0);
  observed[kAbsent] = 1;
  std::int64_t last_failed_cas_end_ns = std::numeric_limits<std::int64_t>::min();
  for (const KeyOp& op : kh.ops) {
    if (op.kind == OpKind::kGet || op.kind == OpKind::kCas) {
      observed[static_cast<std::size_t>(op.compared)] = 1;
    }
    if (op.kind == OpKind::kCas && op.outcome_known && !op.cas_succeeded) {
      last_failed_cas_end_ns = std::max(last_failed_cas_end_ns, op.end_ns);
    }
  }
  if (std::find(observed.begin(), observed.end(), 0) == observed.end()) return;
  const auto unobserved = static_cast<ValueId>(kh.values.size());
  kh.values.emplace_back("(a value no operation observed)");
  std::vector<KeyOp> kept;
  kept.reserve(kh.ops.size());
  for (KeyOp op : kh.ops) {
    const bool writes = op.kind == OpKind::kPut || op.kind == OpKind::kCas;
    if (writes && !observed[static_cast<std::size_t>(op.written)]) op.written = unobserved;
    if (writes && op.written == unobserved && !op.outcome_known &&
        last_failed_cas_end_ns < op.start_ns) {
      ++kh.unknown_writes_dropped;
      continue;
    }
    kept.push_back(op);
  }
  kh.ops = std::move(kept);
}

}  // namespace

std::vector<KeyHistory> split_by_key(const std::vector<Operation>& history) {
  std::map<std::string, std::vector<std::size_t>> indices_by_key;
  for (std::size_t i = 0; i < history.size(); ++i) indices_by_key[history[i].key].push_back(i);

  std::vector<KeyHistory> out;
  out.reserve(indices_by_key.size());
  for (auto& [key, indices] : indices_by_key) {
    KeyHistory& kh = out.emplace_back();
    kh.key = key;
    ValueInterner interner(kh);
    std::stable_sort(indices.begin(), indices.end(), [&](std::size_t a, std::size_t b) {
      return history[a].start_ns < history[b].start_ns;
    });
    for (std::size_t i : indices) {
      const Operation& op = history[i];
      CHECKER_ASSERT(!validate_operation(op), "check_history requires valid operations");
      if (op.kind == OpKind::kGet && !op.outcome_known()) {
        ++kh.unknown_gets_dropped;
        continue;
      }
      KeyOp k;
      k.kind = op.kind;
      k.outcome_known = op.outcome_known();
      k.start_ns = op.start_ns;
      k.end_ns = op.end_ns.value_or(kNeverReturned);
      k.history_index = i;
      if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) k.written = interner.id_of(op.value);
      if (op.kind == OpKind::kGet) k.compared = interner.id_of(op.read_value);
      if (op.kind == OpKind::kCas) {
        k.compared = interner.id_of(op.expected);
        k.cas_succeeded = op.cas_succeeded.value_or(false);
      }
      kh.ops.push_back(k);
    }
    merge_unobserved_values(kh);
  }
  return out;
}

}  // namespace paxoskv::checker
