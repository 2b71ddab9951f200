// Invariants of the search (n operations, indexed in invocation order as in KeyHistory::ops):
//
//  I1 The event list holds, in time order, the call and return entries of exactly the known-
//     outcome operations not yet linearized. Ties at equal times put calls before returns, so two
//     operations that touch at one instant count as concurrent: the conservative choice, which
//     never reports a violation that a finer clock could have excused. Unknown-outcome operations
//     never return, so they are kept apart, in the `pending unknown` list in invocation order.
//  I2 `stack` holds the linearized operations in linearization order, each with the register value
//     before it; replaying them from "absent" through apply_op succeeds and yields `state`. Every
//     stacked operation was invoked no later than every unlinearized known operation returned,
//     i.e. the stack respects real-time order.
//  I3 From a state, the candidates to go next are the pending unknown operations invoked no later
//     than the first return entry R of the event list (phase U, tried first: the unknown writes
//     that remain after split_by_key's reductions were mostly observed, so they did take effect,
//     and placing them early finds a linearization fastest) and the known calls before R (phase
//     K). When both phases are exhausted the state is a dead end and we backtrack. When no known
//     operation remains the history is linearizable: the pending unknown operations are left out.
//  I4 The cache (state_cache.h) holds every state ever pushed; a popped state is marked failed.
//     A candidate state is skipped if it was visited before (it cannot be an ancestor: the
//     linearized set grows strictly along the stack) or is dominated by a failed state.
//  I5 The known part of the linearized set is stored exactly as (p, known_sparse): p is the
//     smallest index of a known operation not linearized (n if none) and known_sparse the sorted
//     known linearized indices above p. By I2 those were invoked before operation p returned, so
//     the list stays about as small as the number of concurrent clients even on a 100,000-
//     operation key. The unknown part is the sorted list `unknown_linearized`.
#include "checker/search.h"

#include <algorithm>

#include "checker/checker_assert.h"
#include "checker/state_cache.h"

namespace paxoskv::checker {

namespace {

constexpr std::uint32_t kNil = UINT32_MAX;

std::uint64_t mix64(std::uint64_t x) {  // splitmix64's finalizer: a cheap, well-spread hash
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Search {
 public:
  Search(const KeyHistory& history, const SearchLimits& limits);
  SearchResult run();

 private:
  struct Frame {
    std::uint32_t op;
    ValueId value_before;
    StateCache::MemberId state_id;  // the state this push created
    std::uint32_t bound;            // the first return entry of the state op was pushed from
  };

  std::uint32_t head() const { return 2 * n_; }
  bool known(std::uint32_t op) const { return ops_[op].outcome_known; }

  void build_lists();
  bool try_push(std::uint32_t op, std::uint32_t bound, ValueId& state);
  void pop(ValueId& state);
  void lift(std::uint32_t op);
  void unlift(std::uint32_t op);
  void mark(std::uint32_t op);
  void unmark(std::uint32_t op);
  void note_dead_end();
  bool out_of_budget();
  std::uint32_t first_return() const;

  const std::vector<KeyOp>& ops_;
  const SearchLimits& limits_;
  const std::uint32_t n_;
  // I1. Event list: entry i < n is the call of op i, n + i its return, 2n the head.
  std::vector<std::uint32_t> next_, prev_;
  // I1. Pending unknown operations: next_unknown_[n] is the first.
  std::vector<std::uint32_t> next_unknown_, prev_unknown_;
  std::vector<std::uint8_t> linearized_;
  std::uint32_t p_ = 0;                            // I5
  std::vector<std::uint32_t> known_sparse_;        // I5
  std::vector<std::uint32_t> unknown_linearized_;  // I5, sorted
  std::uint64_t known_hash_ = 0;  // XOR of mix64(i + 1) over linearized known ops (Zobrist)
  std::uint32_t known_remaining_ = 0;
  std::vector<Frame> stack_;  // I2
  StateCache cache_;          // I4
  std::uint64_t steps_ = 0;
  // The longest stack seen at a dead end; its first best_common_ entries equal the stack's.
  std::vector<std::uint32_t> best_;
  std::size_t best_common_ = 0;
  bool have_best_ = false;
};

Search::Search(const KeyHistory& history, const SearchLimits& limits)
    : ops_(history.ops), limits_(limits), n_(static_cast<std::uint32_t>(ops_.size())) {
  CHECKER_ASSERT(ops_.size() < kNil / 2, "too many operations on one key");
  build_lists();
  linearized_.assign(n_, 0);
  for (const KeyOp& op : ops_) known_remaining_ += op.outcome_known ? 1 : 0;
  while (p_ < n_ && !known(p_)) ++p_;
}

void Search::build_lists() {
  struct Event {
    std::int64_t time_ns;
    bool is_return;
    std::uint32_t op;
    auto key() const { return std::tie(time_ns, is_return, op); }
  };
  std::vector<Event> events;
  next_unknown_.assign(n_ + 1, kNil);
  prev_unknown_.assign(n_ + 1, kNil);
  std::uint32_t last_unknown = n_;
  for (std::uint32_t i = 0; i < n_; ++i) {
    if (known(i)) {
      events.push_back({ops_[i].start_ns, false, i});
      events.push_back({ops_[i].end_ns, true, i});
      continue;
    }
    // ops_ is in invocation order already.
    next_unknown_[last_unknown] = i;
    prev_unknown_[i] = last_unknown;
    last_unknown = i;
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.key() < b.key(); });
  next_.assign(2 * n_ + 1, kNil);
  prev_.assign(2 * n_ + 1, kNil);
  std::uint32_t last = head();
  for (const Event& e : events) {
    const std::uint32_t entry = e.is_return ? n_ + e.op : e.op;
    next_[last] = entry;
    prev_[entry] = last;
    last = entry;
  }
}

// Dancing links: unlift must undo lifts in exactly the reverse order, which the stack guarantees.
void Search::lift(std::uint32_t op) {
  if (!known(op)) {
    next_unknown_[prev_unknown_[op]] = next_unknown_[op];
    if (next_unknown_[op] != kNil) prev_unknown_[next_unknown_[op]] = prev_unknown_[op];
    return;
  }
  for (std::uint32_t entry : {op, n_ + op}) {
    next_[prev_[entry]] = next_[entry];
    if (next_[entry] != kNil) prev_[next_[entry]] = prev_[entry];
  }
}

void Search::unlift(std::uint32_t op) {
  if (!known(op)) {
    next_unknown_[prev_unknown_[op]] = op;
    if (next_unknown_[op] != kNil) prev_unknown_[next_unknown_[op]] = op;
    return;
  }
  for (std::uint32_t entry : {n_ + op, op}) {
    next_[prev_[entry]] = entry;
    if (next_[entry] != kNil) prev_[next_[entry]] = entry;
  }
}

void Search::mark(std::uint32_t op) {
  CHECKER_ASSERT(!linearized_[op], "marking an operation already linearized");
  linearized_[op] = 1;
  if (!known(op)) {
    unknown_linearized_.insert(
        std::lower_bound(unknown_linearized_.begin(), unknown_linearized_.end(), op), op);
    return;
  }
  known_hash_ ^= mix64(op + 1);
  if (op != p_) {
    CHECKER_ASSERT(op > p_, "known operations below p are all linearized (I5)");
    known_sparse_.insert(std::lower_bound(known_sparse_.begin(), known_sparse_.end(), op), op);
    return;
  }
  while (p_ < n_ && (linearized_[p_] || !known(p_))) ++p_;
  // The listed operations below the new p have joined the prefix; they are the list's front.
  known_sparse_.erase(known_sparse_.begin(),
                      std::lower_bound(known_sparse_.begin(), known_sparse_.end(), p_));
}

void Search::unmark(std::uint32_t op) {
  CHECKER_ASSERT(linearized_[op], "unmarking an operation not linearized");
  linearized_[op] = 0;
  if (!known(op)) {
    const auto it = std::lower_bound(unknown_linearized_.begin(), unknown_linearized_.end(), op);
    CHECKER_ASSERT(it != unknown_linearized_.end() && *it == op, "unknown op not listed");
    unknown_linearized_.erase(it);
    return;
  }
  known_hash_ ^= mix64(op + 1);
  if (op > p_) {
    const auto it = std::lower_bound(known_sparse_.begin(), known_sparse_.end(), op);
    CHECKER_ASSERT(it != known_sparse_.end() && *it == op, "known op above p not listed (I5)");
    known_sparse_.erase(it);
    return;
  }
  CHECKER_ASSERT(op < p_, "p is never linearized (I5)");
  // The known operations in (op, p) were in the prefix; with op gone they must be listed, in
  // front of everything listed (which is above p).
  std::vector<std::uint32_t> moved;
  for (std::uint32_t i = op + 1; i < p_; ++i) {
    if (known(i)) moved.push_back(i);
  }
  known_sparse_.insert(known_sparse_.begin(), moved.begin(), moved.end());
  p_ = op;
}

bool Search::try_push(std::uint32_t op, std::uint32_t bound, ValueId& state) {
  const std::optional<ValueId> after = apply_op(ops_[op], state);
  if (!after) return false;
  mark(op);
  const auto id = cache_.visit(known_hash_, *after, p_, known_sparse_, unknown_linearized_);
  if (!id) {
    unmark(op);
    return false;
  }
  stack_.push_back({op, state, *id, bound});
  lift(op);
  state = *after;
  if (known(op)) --known_remaining_;
  return true;
}

void Search::pop(ValueId& state) {
  const Frame top = stack_.back();
  stack_.pop_back();
  best_common_ = std::min(best_common_, stack_.size());
  cache_.mark_failed(top.state_id);
  unlift(top.op);
  unmark(top.op);
  state = top.value_before;
  if (known(top.op)) ++known_remaining_;
}

void Search::note_dead_end() {
  if (have_best_ && stack_.size() <= best_.size()) return;
  best_.resize(best_common_);
  for (std::size_t i = best_common_; i < stack_.size(); ++i) best_.push_back(stack_[i].op);
  best_common_ = stack_.size();
  have_best_ = true;
}

bool Search::out_of_budget() {
  if (limits_.max_steps != 0 && steps_ > limits_.max_steps) return true;
  // Reading the clock costs more than a step; every 1024 steps keeps it under 1%.
  return limits_.deadline && steps_ % 1024 == 0 &&
         std::chrono::steady_clock::now() >= *limits_.deadline;
}

std::uint32_t Search::first_return() const {
  std::uint32_t entry = next_[head()];
  while (entry != kNil && entry < n_) entry = next_[entry];
  CHECKER_ASSERT(entry != kNil, "a known operation remains, so does its return (I1)");
  return entry;
}

SearchResult Search::run() {
  SearchResult result;
  ValueId state = kAbsent;
  // The scan of one state (I3): phase U over the pending unknown list, then phase K over the
  // event list up to `bound`, its first return entry.
  bool phase_k = false;
  std::uint32_t bound = kNil;
  std::uint32_t unknown = kNil;  // phase U: position in the pending unknown list
  std::uint32_t entry = kNil;    // phase K: position in the event list
  auto enter_state = [&] {
    phase_k = false;
    unknown = next_unknown_[n_];
    if (known_remaining_ > 0) bound = first_return();
  };
  enter_state();
  while (true) {
    if (known_remaining_ == 0) {
      result.outcome = SearchOutcome::kLinearizable;
      for (const Frame& f : stack_) result.linearization.push_back(f.op);
      break;
    }
    ++steps_;
    if (out_of_budget()) {
      result.outcome = SearchOutcome::kGaveUp;
      break;
    }
    if (!phase_k) {
      if (unknown != kNil && ops_[unknown].start_ns <= ops_[bound - n_].end_ns) {
        if (try_push(unknown, bound, state)) {
          enter_state();
        } else {
          unknown = next_unknown_[unknown];
        }
      } else {
        phase_k = true;
        entry = next_[head()];
      }
      continue;
    }
    if (entry < n_) {  // a call before `bound`
      if (try_push(entry, bound, state)) {
        enter_state();
      } else {
        entry = next_[entry];
      }
      continue;
    }
    // Both phases exhausted: a dead end (I3).
    note_dead_end();
    if (stack_.empty()) {
      result.outcome = SearchOutcome::kNotLinearizable;
      result.linearization = best_;
      break;
    }
    const Frame top = stack_.back();
    pop(state);
    bound = top.bound;
    phase_k = known(top.op);
    if (phase_k) {
      entry = next_[top.op];
    } else {
      unknown = next_unknown_[top.op];
    }
  }
  result.steps = steps_;
  result.cache_entries = cache_.size();
  return result;
}

}  // namespace

SearchResult search_key(const KeyHistory& history, const SearchLimits& limits) {
  return Search(history, limits).run();
}

}  // namespace paxoskv::checker
