// RapidCheck: on small random single-key histories (few values, so reads often match some write,
// and many overlaps and unknown outcomes), the checker agrees with a brute-force search of every
// order, and every witness it returns is a valid linearization.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <random>

#include "checker/checker.h"
#include "checker/key_history.h"
#include "checker/search.h"
#include "linearization_oracle.h"

namespace paxoskv::checker {
namespace {

using testing::brute_force_verdict;
using testing::is_valid_witness;

std::optional<std::string> small_value(bool allow_absent) {
  const int pick = *rc::gen::inRange(allow_absent ? 0 : 1, 4);
  if (pick == 0) return std::nullopt;
  return std::string(1, static_cast<char>('a' + pick - 1));
}

std::vector<Operation> small_history() {
  const int count = *rc::gen::inRange(0, 8);
  std::vector<Operation> history;
  for (int i = 0; i < count; ++i) {
    Operation op;
    op.client = static_cast<std::uint64_t>(i);
    op.key = "k";
    op.kind = static_cast<OpKind>(*rc::gen::inRange(0, 4));
    op.start_ns = *rc::gen::inRange(0, 20);
    if (*rc::gen::inRange(0, 5) != 0) op.end_ns = op.start_ns + *rc::gen::inRange(0, 10);
    if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) op.value = *small_value(false);
    if (op.kind == OpKind::kGet && op.end_ns) op.read_value = small_value(true);
    if (op.kind == OpKind::kCas) {
      op.expected = small_value(true);
      if (op.end_ns) op.cas_succeeded = *rc::gen::arbitrary<bool>();
    }
    RC_ASSERT(!validate_operation(op));
    history.push_back(std::move(op));
  }
  return history;
}

// The checker's search on the one key, with its witness mapped back to history indices.
std::optional<std::vector<std::size_t>> witness(const std::vector<Operation>& history) {
  const auto keys = split_by_key(history);
  if (keys.empty()) return std::vector<std::size_t>{};
  RC_ASSERT(keys.size() == 1u);
  const SearchResult r = search_key(keys[0], SearchLimits{});
  if (r.outcome != SearchOutcome::kLinearizable) return std::nullopt;
  std::vector<std::size_t> order;
  for (std::uint32_t i : r.linearization) order.push_back(keys[0].ops[i].history_index);
  return order;
}

RC_GTEST_PROP(CheckerVsBruteForce, SameVerdictOnSmallHistories, ()) {
  const std::vector<Operation> history = small_history();
  const bool expected = brute_force_verdict(history);
  const CheckResult result = check_history(history, CheckOptions{});
  RC_TAG(expected ? "linearizable" : "not linearizable");
  RC_ASSERT(result.verdict == (expected ? Verdict::kLinearizable : Verdict::kNotLinearizable));
  const auto order = witness(history);
  RC_ASSERT(order.has_value() == expected);
  if (order) RC_ASSERT(is_valid_witness(history, *order));
}

}  // namespace
}  // namespace paxoskv::checker

namespace paxoskv::checker {
namespace {

// The same comparison on many more (and slightly larger) histories than RapidCheck's default
// 100, from a fixed seed. Values "a".."d" on one key, some never read, so the checker's merging
// of unobserved values and its dropping of unknown writes are exercised too.
TEST(CheckerVsBruteForce, AgreeOnFiveThousandSeededHistories) {
  std::mt19937_64 rng(20261122);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto value = [&](bool allow_absent) -> std::optional<std::string> {
    const int pick = uniform(allow_absent ? 0 : 1, 4);
    if (pick == 0) return std::nullopt;
    return std::string(1, static_cast<char>('a' + pick - 1));
  };
  int linearizable = 0;
  for (int round = 0; round < 5000; ++round) {
    std::vector<Operation> history;
    const int count = uniform(1, 9);
    for (int i = 0; i < count; ++i) {
      Operation op;
      op.client = static_cast<std::uint64_t>(i);
      op.key = "k";
      op.kind = static_cast<OpKind>(uniform(0, 3));
      op.start_ns = uniform(0, 30);
      if (uniform(0, 3) != 0) op.end_ns = op.start_ns + uniform(0, 12);
      if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) op.value = *value(false);
      if (op.kind == OpKind::kGet && op.end_ns) op.read_value = value(true);
      if (op.kind == OpKind::kCas) {
        op.expected = value(true);
        if (op.end_ns) op.cas_succeeded = uniform(0, 1) == 1;
      }
      history.push_back(std::move(op));
    }
    const bool expected = brute_force_verdict(history);
    linearizable += expected ? 1 : 0;
    ASSERT_EQ(check_history(history, CheckOptions{}).verdict,
              expected ? Verdict::kLinearizable : Verdict::kNotLinearizable)
        << "round " << round;
    const auto order = witness(history);
    ASSERT_EQ(order.has_value(), expected) << "round " << round;
    if (order) {
      ASSERT_TRUE(is_valid_witness(history, *order)) << "round " << round;
    }
  }
  // Both verdicts must be well represented for the comparison to mean anything.
  EXPECT_GT(linearizable, 1000);
  EXPECT_LT(linearizable, 4000);
}

}  // namespace
}  // namespace paxoskv::checker
