// A 100,000-operation generated history is checked to the end (accepted), and the same history
// with one read corrupted into a read of a value never written is rejected. No timing assertion:
// benchmarks/checker_bench.cc measures the speed.
#include <gtest/gtest.h>

#include "checker/checker.h"
#include "checker/history_generator.h"

namespace paxoskv::checker {
namespace {

GeneratedHistory large_history() {
  GeneratorOptions options;
  options.seed = 42;
  options.operations = 100'000;
  options.clients = 16;
  options.keys = 100;
  options.unknown_fraction = 0.01;
  return generate_linearizable_history(options);
}

TEST(CheckerLargeHistory, HundredThousandOperationsAreAccepted) {
  const GeneratedHistory g = large_history();
  const CheckResult r = check_history(g.operations, CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::kLinearizable);
  EXPECT_EQ(r.stats.operations, 100'000u);
  EXPECT_EQ(r.stats.keys, 100u);
  EXPECT_GT(r.stats.unknown_outcomes, 500u);
}

TEST(CheckerLargeHistory, OneBadReadAmongHundredThousandIsFound) {
  GeneratedHistory g = large_history();
  Operation* last_get = nullptr;
  for (Operation& op : g.operations) {
    if (op.kind == OpKind::kGet && op.end_ns) last_get = &op;
  }
  ASSERT_NE(last_get, nullptr);
  last_get->read_value = "never written";
  const CheckResult r = check_history(g.operations, CheckOptions{});
  ASSERT_EQ(r.verdict, Verdict::kNotLinearizable);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].key, last_get->key);
}

}  // namespace
}  // namespace paxoskv::checker
