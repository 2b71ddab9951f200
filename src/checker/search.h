// The linearizability search for one key's history.
//
// Wing & Gong's backtracking search over the history's call/return events, with Lowe's
// just-in-time linearization (an operation is linearized only while no pending return forces
// another one first) and Porcupine's memoisation: a search state is fully determined by the set
// of operations already linearized and the register's value, so each (set, value) pair is
// explored at most once. See search.cc for the invariants.
//
// Operations whose outcome is unknown are pending forever: they may be linearized at any point
// after their invocation, or never; the search succeeds as soon as every operation with a known
// outcome is linearized. They are tried before the known candidates, and a state is skipped
// when a state with the same known operations and value but a subset of its unknown ones has
// already failed (state_cache.h): without that, every unknown operation that never took effect
// would double the states searched after it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "checker/key_history.h"

namespace paxoskv::checker {

struct SearchLimits {
  std::uint64_t max_steps = 0;  // 0: no step limit
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

enum class SearchOutcome { kLinearizable, kNotLinearizable, kGaveUp };

struct SearchResult {
  SearchOutcome outcome = SearchOutcome::kGaveUp;
  std::uint64_t steps = 0;        // call entries tried plus backtracks
  std::size_t cache_entries = 0;  // distinct (set, value) states reached
  // kLinearizable: a witness, the indices (into KeyHistory::ops) of the operations in
  // linearization order; unknown-outcome operations that never took effect are absent.
  // kNotLinearizable: the longest linearizable prefix the search built, in the same form.
  std::vector<std::uint32_t> linearization;
};

SearchResult search_key(const KeyHistory& history, const SearchLimits& limits);

}  // namespace paxoskv::checker
