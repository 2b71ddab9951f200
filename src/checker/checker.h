// The linearizability checker for paxoskv histories: entry point of the paxoskv_checker library.
//
//   auto read = read_history_file("history.jsonl");      // history_reader.h
//   if (read.error) { report read.error->to_string(); }
//   CheckResult r = check_history(read.operations, CheckOptions{});
//   if (r.verdict == Verdict::kNotLinearizable) { print format_report(r) }   // report.h
//
// The history is split per key (each key is an independent register, so the whole history is
// linearizable iff every key's part is) and each key is searched with search_key() (search.h).
// Before searching, cheap sound checks reject the commonest anomalies with a precise reason: a
// read (or successful cas) of a value never written to the key, of a value whose every write was
// invoked after the read completed, and a stale read (the value's only write was followed, in
// real time, by another completed write before the read began).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/operation.h"

namespace paxoskv::checker {

struct CheckOptions {
  // Wall-clock budget for the whole check; keys not finished when it runs out are "gave up".
  std::optional<std::chrono::milliseconds> time_budget;
  // Search steps (candidate operations tried plus backtracks) allowed per key; 0 = no limit.
  std::uint64_t max_steps_per_key = 0;
  // How many operations of the longest linearizable prefix a violation shows (its tail).
  std::size_t prefix_tail_max = 12;
  // How many operations that could not be placed a violation lists.
  std::size_t unplaced_max = 8;
};

enum class Verdict { kLinearizable, kNotLinearizable, kGaveUp };

std::string_view verdict_name(Verdict verdict);  // "linearizable", "not linearizable", "gave up"

struct HistoryStats {
  std::size_t operations = 0;
  std::size_t keys = 0;
  std::size_t puts = 0, gets = 0, deletes = 0, cas = 0;
  std::size_t cas_succeeded = 0, cas_failed = 0;
  std::size_t unknown_outcomes = 0;  // end_ns null, of any kind
};

// Why one key's history is not linearizable, for a human debugging a cluster.
struct Violation {
  std::string key;
  // One sentence, e.g. "a get read a value that was never written to this key".
  std::string reason;
  // The longest linearizable prefix found: its length, its last operations (at most
  // CheckOptions::prefix_tail_max) each with the value it leaves, and the value after it.
  std::size_t prefix_length = 0;
  struct Step {
    Operation op;
    std::optional<std::string> value_after;
  };
  std::vector<Step> prefix_tail;
  std::optional<std::string> value_after_prefix;
  // The operations that could come next after that prefix (invoked before the earliest pending
  // return), and why each cannot: the first is the one whose return forced the dead end.
  struct Unplaced {
    Operation op;
    std::string why;
  };
  std::vector<Unplaced> unplaced;
};

struct CheckResult {
  Verdict verdict = Verdict::kLinearizable;
  HistoryStats stats;
  std::vector<Violation> violations;  // one per non-linearizable key, in key order
  std::vector<std::string> gave_up_keys;
  std::uint64_t search_steps = 0;
  std::size_t search_states = 0;  // memoised (set, value) states, summed over keys
  std::chrono::nanoseconds elapsed{0};
};

// Checks a history of valid operations (validate_operation() accepts each; a history read by
// read_history() always is). The verdict is kNotLinearizable if any key is not linearizable,
// else kGaveUp if any key ran out of budget, else kLinearizable.
CheckResult check_history(const std::vector<Operation>& history, const CheckOptions& options);

}  // namespace paxoskv::checker
