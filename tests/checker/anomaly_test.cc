// Hand-written histories with known anomalies: each must be rejected, on the right key, with an
// explanation that points at the operation a human would blame.
#include <gtest/gtest.h>

#include "history_builder.h"

namespace paxoskv::checker {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

CheckResult rejected(const std::vector<Operation>& history) {
  CheckResult r = check_history(history, CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(r.violations.size(), 1u);
  return r;
}

TEST(CheckerAnomaly, StaleReadAfterANewerWriteCompleted) {
  // Caught before searching, naming the write that was overwritten and the one that overwrote it.
  const auto r =
      rejected({put(1, "k", "a", 0, 10), put(2, "k", "b", 20, 30), get(3, "k", "a", 40, 50)});
  const Violation& v = r.violations.at(0);
  EXPECT_EQ(v.key, "k");
  EXPECT_EQ(r.search_steps, 0u);
  EXPECT_NE(v.reason.find("stale read: \"a\" was written by [client 1 put"), std::string::npos)
      << v.reason;
  EXPECT_NE(v.reason.find("overwritten by [client 2 put \"k\" \"b\""), std::string::npos)
      << v.reason;
  ASSERT_EQ(v.unplaced.size(), 1u);
  EXPECT_EQ(v.unplaced[0].op.kind, OpKind::kGet);
}

TEST(CheckerAnomaly, TheSearchExplainsItsDeadEnd) {
  // Two concurrent cas both succeeded from "a": the longest prefix is the put and one cas; the
  // other cas cannot follow.
  const auto r = rejected({put(1, "k", "a", 0, 10), cas(2, "k", "a", "b", true, 20, 40),
                           cas(3, "k", "a", "c", true, 25, 35)});
  const Violation& v = r.violations.at(0);
  EXPECT_GT(r.search_steps, 0u);
  EXPECT_EQ(v.prefix_length, 2u);
  ASSERT_EQ(v.prefix_tail.size(), 2u);
  EXPECT_EQ(v.prefix_tail[0].value_after, "a");
  ASSERT_FALSE(v.unplaced.empty());
  EXPECT_EQ(v.unplaced[0].op.kind, OpKind::kCas);
  EXPECT_NE(v.unplaced[0].why.find("must take effect before it returns: it succeeded, so the "
                                   "value must be \"a\", but it is"),
            std::string::npos)
      << v.unplaced[0].why;
}

TEST(CheckerAnomaly, LostAcknowledgedWrite) {
  // The put was acknowledged; a read that starts afterwards finds the key absent.
  rejected({put(1, "k", "a", 0, 10), get(2, "k", kAbsentValue, 20, 30)});
}

TEST(CheckerAnomaly, LostWriteSeenByALaterCas) {
  // A cas expecting the acknowledged value fails, and nothing else wrote the key.
  rejected({put(1, "k", "a", 0, 10), cas(2, "k", "a", "b", false, 20, 30)});
}

TEST(CheckerAnomaly, CasSucceededTwiceFromTheSameValue) {
  // Two concurrent cas from "a": only one of them can have found "a".
  rejected({put(1, "k", "a", 0, 10), cas(2, "k", "a", "b", true, 20, 40),
            cas(3, "k", "a", "c", true, 25, 35)});
}

TEST(CheckerAnomaly, ReadOfAValueNeverWrittenIsRejectedBeforeSearching) {
  const auto r = rejected({put(1, "k", "a", 0, 10), get(2, "k", "zzz", 20, 30)});
  const Violation& v = r.violations.at(0);
  EXPECT_NE(v.reason.find("never written"), std::string::npos) << v.reason;
  EXPECT_EQ(r.search_steps, 0u);
  ASSERT_EQ(v.unplaced.size(), 1u);
  EXPECT_EQ(v.unplaced[0].op.read_value, "zzz");
}

TEST(CheckerAnomaly, ReadOfAValueWrittenOnlyToAnotherKey) {
  rejected({put(1, "other", "a", 0, 10), get(2, "k", "a", 20, 30)});
}

TEST(CheckerAnomaly, ReadOfAValueWhoseWriteStartedAfterTheReadEnded) {
  const auto r = rejected({get(1, "k", "b", 0, 10), put(2, "k", "b", 20, 30)});
  EXPECT_NE(r.violations.at(0).reason.find("invoked after"), std::string::npos);
}

TEST(CheckerAnomaly, CasOnAValueNeverWritten) {
  rejected({cas(1, "k", "ghost", "b", true, 0, 10)});
}

TEST(CheckerAnomaly, ReadOfADeletedKeysOldValue) {
  rejected({put(1, "k", "a", 0, 10), del(2, "k", 20, 30), get(3, "k", "a", 40, 50)});
}

TEST(CheckerAnomaly, NonMonotonicReadsAcrossTwoClients) {
  // A slow put of "b" overlaps both reads; once client 3 has seen "b", client 4's later read
  // cannot go back to "a".
  rejected({put(1, "k", "a", 0, 10), put(2, "k", "b", 15, 100), get(3, "k", "b", 20, 30),
            get(4, "k", "a", 40, 50)});
}

TEST(CheckerAnomaly, CasWithNullExpectedSucceededOnAPresentKey) {
  rejected({put(1, "k", "a", 0, 10), cas(2, "k", kAbsentValue, "b", true, 20, 30)});
}

TEST(CheckerAnomaly, FailedCasThatShouldHaveSucceeded) {
  rejected({cas(1, "k", kAbsentValue, "a", false, 0, 10)});
}

TEST(CheckerAnomaly, UnknownWriteCannotTakeEffectTwice) {
  // "b" took effect by time 30 (it was read); "a" was overwritten then and cannot come back.
  rejected({put(1, "k", "a", 0, 10), put(2, "k", "b", 5, kUnknown), get(3, "k", "b", 20, 30),
            get(4, "k", "a", 40, 50)});
}

TEST(CheckerAnomaly, UnknownWriteSeenThenUnseen) {
  rejected({put(1, "k", "a", 0, 10), put(2, "k", "b", 20, kUnknown), get(3, "k", "b", 30, 40),
            get(3, "k", "a", 50, 60)});
}

TEST(CheckerAnomaly, OnlyTheBrokenKeyIsReported) {
  const auto r = rejected({put(1, "a", "1", 0, 10), get(2, "a", "1", 20, 30),
                           put(1, "b", "2", 0, 10), get(2, "b", kAbsentValue, 20, 30),
                           put(1, "c", "3", 0, 10), get(2, "c", "3", 20, 30)});
  EXPECT_EQ(r.violations.at(0).key, "b");
  EXPECT_EQ(r.stats.keys, 3u);
}

TEST(CheckerAnomaly, ExplanationShowsTheTailOfALongPrefix) {
  std::vector<Operation> history;
  for (int i = 0; i < 40; ++i) {
    history.push_back(put(1, "k", "v" + std::to_string(i), 100 * i, 100 * i + 10));
  }
  history.push_back(get(2, "k", kAbsentValue, 5000, 5010));
  CheckOptions options;
  options.prefix_tail_max = 5;
  const auto r = check_history(history, options);
  ASSERT_EQ(r.verdict, Verdict::kNotLinearizable);
  const Violation& v = r.violations.at(0);
  EXPECT_EQ(v.prefix_length, 40u);
  ASSERT_EQ(v.prefix_tail.size(), 5u);
  EXPECT_EQ(v.prefix_tail.back().op.value, "v39");
  EXPECT_EQ(v.prefix_tail.back().value_after, "v39");
}

TEST(CheckerBudget, GivesUpWhenTheStepBudgetRunsOut) {
  std::vector<Operation> history;
  for (int i = 0; i < 20; ++i) history.push_back(put(i, "k", "v" + std::to_string(i), 0, 100));
  history.push_back(get(99, "k", "v7", 200, 300));
  CheckOptions options;
  options.max_steps_per_key = 3;
  const auto r = check_history(history, options);
  EXPECT_EQ(r.verdict, Verdict::kGaveUp);
  EXPECT_EQ(r.gave_up_keys, std::vector<std::string>{"k"});
}

TEST(CheckerBudget, AViolationOutranksGivingUp) {
  std::vector<Operation> history;
  for (int i = 0; i < 20; ++i) history.push_back(put(i, "k", "v" + std::to_string(i), 0, 100));
  history.push_back(get(99, "other", "never", 200, 300));
  CheckOptions options;
  options.max_steps_per_key = 3;
  EXPECT_EQ(check_history(history, options).verdict, Verdict::kNotLinearizable);
}

}  // namespace
}  // namespace paxoskv::checker
