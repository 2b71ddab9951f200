// RapidCheck over generated histories (history_generator.h): linearizable by construction, they
// must be accepted with a valid witness; with one read's value replaced by another value written
// to the key they must be rejected whenever that value provably was never current during the read.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <random>

#include "checker/checker.h"
#include "checker/history_generator.h"
#include "checker/key_history.h"
#include "checker/search.h"
#include "linearization_oracle.h"

namespace paxoskv::checker {
namespace {

GeneratorOptions random_options() {
  GeneratorOptions o;
  o.seed = *rc::gen::arbitrary<std::uint64_t>();
  o.operations = *rc::gen::inRange<std::size_t>(0, 400);
  o.clients = *rc::gen::inRange<std::size_t>(1, 9);
  o.keys = *rc::gen::inRange<std::size_t>(1, 4);
  o.unknown_fraction = *rc::gen::element(0.0, 0.02, 0.05);
  o.duration_max_ns = *rc::gen::element<std::int64_t>(10, 1000, 5000);
  return o;
}

// Every key's witness, checked by the independent oracle on that key's operations.
void assert_witnesses_valid(const std::vector<Operation>& history) {
  for (const KeyHistory& kh : split_by_key(history)) {
    const SearchResult r = search_key(kh, SearchLimits{});
    RC_ASSERT(r.outcome == SearchOutcome::kLinearizable);
    std::vector<Operation> ops;
    std::map<std::size_t, std::size_t> local;
    for (std::size_t i = 0; i < history.size(); ++i) {
      if (history[i].key != kh.key) continue;
      local[i] = ops.size();
      ops.push_back(history[i]);
    }
    std::vector<std::size_t> order;
    for (std::uint32_t i : r.linearization) order.push_back(local.at(kh.ops[i].history_index));
    RC_ASSERT(testing::is_valid_witness(ops, order));
  }
}

RC_GTEST_PROP(CheckerOnGeneratedHistories, LinearizableHistoriesAreAccepted, ()) {
  const GeneratedHistory g = generate_linearizable_history(random_options());
  const CheckResult r = check_history(g.operations, CheckOptions{});
  RC_ASSERT(r.verdict == Verdict::kLinearizable);
  RC_ASSERT(r.stats.operations == g.operations.size());
  assert_witnesses_valid(g.operations);
}

bool writes(const Operation& op) {
  return op.kind == OpKind::kPut || (op.kind == OpKind::kCas && op.cas_succeeded != false);
}
bool known_effective_write(const Operation& op) {
  return op.end_ns && (op.kind == OpKind::kPut || op.kind == OpKind::kDelete ||
                       (op.kind == OpKind::kCas && op.cas_succeeded == true));
}

// True when `reader` (a completed get) cannot have read `value` (written once, by `writer`):
// the write started after the read ended, or a known write X lies wholly between the writer's
// end and the reader's start, so the value was overwritten before the read and never came back.
bool provably_unreadable(const std::vector<Operation>& history, const Operation& reader,
                         const Operation& writer) {
  if (writer.start_ns > *reader.end_ns) return true;
  if (!writer.end_ns) return false;
  for (const Operation& x : history) {
    if (x.key == reader.key && &x != &writer && known_effective_write(x) &&
        *writer.end_ns < x.start_ns && *x.end_ns < reader.start_ns) {
      return true;
    }
  }
  return false;
}

struct Corruption {
  std::vector<Operation> history;
  bool provable = false;
};

// Replaces the value read by one completed get with another value written to the same key.
std::optional<Corruption> corrupt_one_read(const std::vector<Operation>& history,
                                           std::mt19937_64& rng) {
  std::vector<std::pair<std::size_t, std::size_t>> choices;  // (get, writer)
  for (std::size_t g = 0; g < history.size(); ++g) {
    if (history[g].kind != OpKind::kGet || !history[g].end_ns) continue;
    for (std::size_t w = 0; w < history.size(); ++w) {
      if (writes(history[w]) && history[w].key == history[g].key &&
          history[w].value != history[g].read_value) {
        choices.emplace_back(g, w);
      }
    }
  }
  if (choices.empty()) return std::nullopt;
  const auto [g, w] =
      choices[std::uniform_int_distribution<std::size_t>(0, choices.size() - 1)(rng)];
  Corruption c;
  c.history = history;
  c.history[g].read_value = history[w].value;
  c.provable = provably_unreadable(history, history[g], history[w]);
  return c;
}

RC_GTEST_PROP(CheckerOnGeneratedHistories, ProvablyStaleReadsAreRejected, ()) {
  GeneratorOptions options = random_options();
  options.operations = std::max<std::size_t>(options.operations, 20);
  const GeneratedHistory g = generate_linearizable_history(options);
  std::mt19937_64 rng(options.seed);
  const auto c = corrupt_one_read(g.operations, rng);
  RC_PRE(c.has_value());
  const Verdict verdict = check_history(c->history, CheckOptions{}).verdict;
  RC_CLASSIFY(c->provable, "provably wrong");
  RC_CLASSIFY(verdict == Verdict::kNotLinearizable, "rejected");
  if (c->provable) RC_ASSERT(verdict == Verdict::kNotLinearizable);
  RC_ASSERT(verdict != Verdict::kGaveUp);
}

// "Usually rejected", as a number: over a fixed set of seeds, with the default generator shape
// (8 clients, 4 keys), most corrupted histories are rejected. The threshold is well under the
// measured rate (printed) and catches a checker that accepts whatever it is given.
TEST(CheckerOnGeneratedHistories, CorruptedReadsAreUsuallyRejected) {
  int corrupted = 0, rejected = 0, provable = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    GeneratorOptions options;
    options.seed = seed;
    options.operations = 200;
    const GeneratedHistory g = generate_linearizable_history(options);
    std::mt19937_64 rng(seed);
    const auto c = corrupt_one_read(g.operations, rng);
    if (!c) continue;
    ++corrupted;
    provable += c->provable ? 1 : 0;
    const bool is_rejected =
        check_history(c->history, CheckOptions{}).verdict == Verdict::kNotLinearizable;
    rejected += is_rejected ? 1 : 0;
    if (c->provable) {
      EXPECT_TRUE(is_rejected) << "seed " << seed;
    }
  }
  std::printf("corrupted %d histories: %d rejected, %d provably wrong\n", corrupted, rejected,
              provable);
  EXPECT_GT(corrupted, 250);
  EXPECT_GE(rejected * 10, corrupted * 8);
}

}  // namespace
}  // namespace paxoskv::checker
