#include "checker/checker.h"

#include <algorithm>
#include <limits>

#include "checker/checker_assert.h"
#include "checker/key_history.h"
#include "checker/search.h"

namespace paxoskv::checker {

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kNotLinearizable:
      return "not linearizable";
    case Verdict::kGaveUp:
      return "gave up";
  }
  return "?";
}

namespace {

HistoryStats count(const std::vector<Operation>& history, std::size_t keys) {
  HistoryStats s;
  s.operations = history.size();
  s.keys = keys;
  for (const Operation& op : history) {
    switch (op.kind) {
      case OpKind::kPut:
        ++s.puts;
        break;
      case OpKind::kGet:
        ++s.gets;
        break;
      case OpKind::kDelete:
        ++s.deletes;
        break;
      case OpKind::kCas:
        ++s.cas;
        if (op.cas_succeeded) ++(*op.cas_succeeded ? s.cas_succeeded : s.cas_failed);
        break;
    }
    if (!op.outcome_known()) ++s.unknown_outcomes;
  }
  return s;
}

// Why `op` cannot take effect when the register holds `current` (apply_op refused it).
std::string refusal(const KeyHistory& kh, const KeyOp& op,
                    const std::optional<std::string>& current) {
  const std::string now = describe_value(current);
  const std::string compared = describe_value(kh.values[static_cast<std::size_t>(op.compared)]);
  if (op.kind == OpKind::kGet) return "it read " + compared + " but the value here is " + now;
  if (op.outcome_known && !op.cas_succeeded) {
    return "it failed, so the value must differ from " + compared + ", but it is " + now;
  }
  if (op.outcome_known) {
    return "it succeeded, so the value must be " + compared + ", but it is " + now;
  }
  return "its outcome is unknown; taking effect here needs the value " + compared + ", but it is " +
         now + " (leaving it out was tried too)";
}

// The cheap check for the commonest real anomaly, the stale read: an operation observed a value
// written by exactly one operation W (known outcome), yet another write X with a known outcome and
// a different value began after W completed and completed before the observer began. Then at
// the observer's linearization point the value had been replaced and no write could bring it
// back. Sound for every history; values written more than once are left to the search.
std::optional<Violation> overwritten_read(const KeyHistory& kh,
                                          const std::vector<Operation>& history) {
  struct Write {
    std::int64_t start_ns, end_ns;
    ValueId written;
    std::size_t op;
  };
  std::vector<Write> effective;  // known writes that surely took effect
  std::vector<std::size_t> writers(kh.values.size(), 0);
  std::vector<std::size_t> writer_of(kh.values.size(), 0);
  for (std::size_t i = 0; i < kh.ops.size(); ++i) {
    const KeyOp& op = kh.ops[i];
    const bool may_write = op.kind == OpKind::kPut ||
                           (op.kind == OpKind::kCas && (!op.outcome_known || op.cas_succeeded));
    if (may_write) {
      ++writers[static_cast<std::size_t>(op.written)];
      writer_of[static_cast<std::size_t>(op.written)] = i;
    }
    if (op.outcome_known && (may_write || op.kind == OpKind::kDelete)) {
      effective.push_back(
          {op.start_ns, op.end_ns, op.kind == OpKind::kDelete ? kAbsent : op.written, i});
    }
  }
  std::sort(effective.begin(), effective.end(),
            [](const Write& a, const Write& b) { return a.start_ns < b.start_ns; });
  // earliest_end[i]: the write among effective[i..] that completes first.
  std::vector<std::size_t> earliest_end(effective.size() + 1, effective.size());
  for (std::size_t i = effective.size(); i-- > 0;) {
    const std::size_t later = earliest_end[i + 1];
    earliest_end[i] =
        later < effective.size() && effective[later].end_ns < effective[i].end_ns ? later : i;
  }
  for (const KeyOp& reader : kh.ops) {
    const bool observes =
        reader.kind == OpKind::kGet ||
        (reader.kind == OpKind::kCas && reader.outcome_known && reader.cas_succeeded);
    const auto v = static_cast<std::size_t>(reader.compared);
    if (!observes || reader.compared == kAbsent || writers[v] != 1) continue;
    const KeyOp& writer = kh.ops[writer_of[v]];
    if (!writer.outcome_known) continue;
    const auto first_after =
        std::upper_bound(effective.begin(), effective.end(), writer.end_ns,
                         [](std::int64_t t, const Write& w) { return t < w.start_ns; });
    const std::size_t x = earliest_end[static_cast<std::size_t>(first_after - effective.begin())];
    if (x == effective.size() || effective[x].end_ns >= reader.start_ns ||
        effective[x].written == reader.compared) {
      continue;
    }
    Violation violation;
    violation.key = kh.key;
    violation.reason = "stale read: " + describe_value(kh.values[v]) + " was written by [" +
                       describe_operation(history[writer.history_index]) +
                       "] and overwritten by [" +
                       describe_operation(history[kh.ops[effective[x].op].history_index]) +
                       "] before this operation began";
    violation.unplaced.push_back(
        {history[reader.history_index],
         "it observed " + describe_value(kh.values[v]) + ", which had already been overwritten"});
    return violation;
  }
  return std::nullopt;
}

// The cheap checks: a value read (or a successful cas's expected value) must have been written to
// the key by an operation invoked before the reader completed. Sound because every write of a
// value is considered, whatever its outcome.
std::optional<Violation> precheck(const KeyHistory& kh, const std::vector<Operation>& history) {
  std::vector<std::int64_t> first_write_start_ns(kh.values.size(),
                                                 std::numeric_limits<std::int64_t>::max());
  for (const KeyOp& op : kh.ops) {
    const bool writes = op.kind == OpKind::kPut ||
                        (op.kind == OpKind::kCas && (!op.outcome_known || op.cas_succeeded));
    if (!writes) continue;
    auto& first = first_write_start_ns[static_cast<std::size_t>(op.written)];
    first = std::min(first, op.start_ns);
  }
  for (const KeyOp& op : kh.ops) {
    const bool observes = op.kind == OpKind::kGet ||
                          (op.kind == OpKind::kCas && op.outcome_known && op.cas_succeeded);
    if (!observes || op.compared == kAbsent) continue;
    const std::int64_t first = first_write_start_ns[static_cast<std::size_t>(op.compared)];
    Violation v;
    v.key = kh.key;
    const std::string value = describe_value(kh.values[static_cast<std::size_t>(op.compared)]);
    if (first == std::numeric_limits<std::int64_t>::max()) {
      v.reason =
          "an operation observed the value " + value + ", which was never written to this key";
    } else if (first > op.end_ns) {
      v.reason = "an operation observed the value " + value +
                 ", but every write of it was invoked after that operation completed (at " +
                 std::to_string(first) + " ns)";
    } else {
      continue;
    }
    v.unplaced.push_back({history[op.history_index], "no write of " + value + " can precede it"});
    return v;
  }
  return overwritten_read(kh, history);
}

// Turns the longest prefix the search built into an explanation.
Violation explain(const KeyHistory& kh, const std::vector<Operation>& history,
                  const std::vector<std::uint32_t>& prefix, const CheckOptions& options) {
  Violation v;
  v.key = kh.key;
  v.prefix_length = prefix.size();
  std::vector<std::uint8_t> placed(kh.ops.size(), 0);
  ValueId state = kAbsent;
  // The same replay on the recorded values: `state` may be the merged "unobserved" id.
  std::optional<std::string> current;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const KeyOp& op = kh.ops[prefix[i]];
    const std::optional<ValueId> after = apply_op(op, state);
    CHECKER_ASSERT(after, "the search's prefix replays through the model");
    const Operation& recorded = history[op.history_index];
    if (op.kind == OpKind::kDelete) current.reset();
    if (op.kind != OpKind::kDelete && *after != state) current = recorded.value;
    if (op.kind == OpKind::kPut) current = recorded.value;
    state = *after;
    placed[prefix[i]] = 1;
    if (prefix.size() - i <= options.prefix_tail_max) v.prefix_tail.push_back({recorded, current});
  }
  v.value_after_prefix = current;

  // The dead end: the pending known operation that returns first had to come next.
  std::optional<std::uint32_t> blocking;
  for (std::uint32_t i = 0; i < kh.ops.size(); ++i) {
    if (placed[i] || !kh.ops[i].outcome_known) continue;
    if (!blocking || kh.ops[i].end_ns < kh.ops[*blocking].end_ns) blocking = i;
  }
  CHECKER_ASSERT(blocking, "a non-linearizable key has a known operation left to place");
  const KeyOp& must = kh.ops[*blocking];
  std::vector<std::uint32_t> candidates = {*blocking};
  for (std::uint32_t i = 0; i < kh.ops.size(); ++i) {
    if (!placed[i] && i != *blocking && kh.ops[i].start_ns <= must.end_ns) candidates.push_back(i);
  }
  for (std::uint32_t i : candidates) {
    if (v.unplaced.size() >= options.unplaced_max) break;
    const KeyOp& op = kh.ops[i];
    std::string why = apply_op(op, state)
                          ? "it can take effect here, but no order of the remaining operations "
                            "works after it"
                          : refusal(kh, op, current);
    if (i == *blocking) why = "must take effect before it returns: " + why;
    v.unplaced.push_back({history[op.history_index], std::move(why)});
  }
  const std::size_t must_line = history[must.history_index].line;
  v.reason = "no linearization: after the longest linearizable prefix (" +
             std::to_string(prefix.size()) + " operations) the " +
             std::string(op_kind_name(must.kind)) + " that returns next" +
             (must_line != 0 ? " (line " + std::to_string(must_line) + ")" : std::string()) +
             " cannot be placed";
  return v;
}

}  // namespace

CheckResult check_history(const std::vector<Operation>& history, const CheckOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const std::vector<KeyHistory> keys = split_by_key(history);
  CheckResult result;
  result.stats = count(history, keys.size());

  SearchLimits limits;
  limits.max_steps = options.max_steps_per_key;
  if (options.time_budget) limits.deadline = started + *options.time_budget;

  for (const KeyHistory& kh : keys) {
    if (auto violation = precheck(kh, history)) {
      result.violations.push_back(std::move(*violation));
      continue;
    }
    if (limits.deadline && std::chrono::steady_clock::now() >= *limits.deadline) {
      result.gave_up_keys.push_back(kh.key);
      continue;
    }
    const SearchResult searched = search_key(kh, limits);
    result.search_steps += searched.steps;
    result.search_states += searched.cache_entries;
    if (searched.outcome == SearchOutcome::kNotLinearizable) {
      result.violations.push_back(explain(kh, history, searched.linearization, options));
    } else if (searched.outcome == SearchOutcome::kGaveUp) {
      result.gave_up_keys.push_back(kh.key);
    }
  }
  if (!result.violations.empty()) {
    result.verdict = Verdict::kNotLinearizable;
  } else if (!result.gave_up_keys.empty()) {
    result.verdict = Verdict::kGaveUp;
  }
  result.elapsed = std::chrono::steady_clock::now() - started;
  return result;
}

}  // namespace paxoskv::checker
