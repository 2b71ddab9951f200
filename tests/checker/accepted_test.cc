// Tricky histories that are linearizable and must be accepted: concurrency in either order,
// unknown outcomes that did or did not take effect, cas on an absent key, touching intervals.
#include <gtest/gtest.h>

#include "history_builder.h"

namespace paxoskv::checker {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

TEST(CheckerAccepts, EmptyHistory) {
  const auto r = check_history({}, CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::kLinearizable);
  EXPECT_EQ(r.stats.keys, 0u);
}

TEST(CheckerAccepts, ReadOfAnAbsentKey) {
  EXPECT_EQ(verdict_of({get(1, "k", kAbsentValue, 0, 10)}), Verdict::kLinearizable);
}

TEST(CheckerAccepts, ConcurrentWritesInEitherOrder) {
  for (const char* last : {"a", "b"}) {
    EXPECT_EQ(
        verdict_of({put(1, "k", "a", 0, 10), put(2, "k", "b", 5, 15), get(3, "k", last, 20, 30)}),
        Verdict::kLinearizable)
        << last;
  }
}

TEST(CheckerAccepts, ReadConcurrentWithAWriteSeesOldOrNew) {
  for (const char* seen : {"a", "b"}) {
    EXPECT_EQ(
        verdict_of({put(1, "k", "a", 0, 10), put(2, "k", "b", 20, 40), get(3, "k", seen, 25, 30)}),
        Verdict::kLinearizable)
        << seen;
  }
}

TEST(CheckerAccepts, ReadsOrderedDifferentlyFromInvocation) {
  // The later-invoked read may take effect first: old value read by the read invoked last.
  EXPECT_EQ(verdict_of({put(1, "k", "a", 0, 10), put(2, "k", "b", 20, 100),
                        get(3, "k", "b", 30, 90), get(4, "k", "a", 40, 50)}),
            Verdict::kLinearizable);
}

TEST(CheckerAccepts, UnknownWriteThatTookEffect) {
  EXPECT_EQ(verdict_of({put(1, "k", "a", 0, 10), put(2, "k", "b", 20, kUnknown),
                        get(3, "k", "b", 30, 40)}),
            Verdict::kLinearizable);
}

TEST(CheckerAccepts, UnknownWriteThatNeverTookEffect) {
  EXPECT_EQ(verdict_of({put(1, "k", "a", 0, 10), put(2, "k", "b", 20, kUnknown),
                        get(3, "k", "a", 30, 40), get(3, "k", "a", 1000, 1010)}),
            Verdict::kLinearizable);
}

TEST(CheckerAccepts, UnknownWriteThatTookEffectLongAfterItsClientGaveUp) {
  EXPECT_EQ(
      verdict_of({put(1, "k", "a", 0, 10), put(2, "k", "b", 20, kUnknown), put(2, "k", "c", 40, 50),
                  get(3, "k", "c", 60, 70), get(3, "k", "b", 1000, 1010)}),
      Verdict::kLinearizable);
}

TEST(CheckerAccepts, UnreadUnknownWriteExplainsAFailedCas) {
  // Nobody reads "u", but the failed cas needs some value other than "a": only the unknown put
  // can provide it, so the reduction that drops unread unknown writes must keep this one.
  EXPECT_EQ(verdict_of({put(1, "k", "a", 0, 10), put(2, "k", "u", 5, kUnknown),
                        cas(3, "k", "a", "x", false, 20, 30)}),
            Verdict::kLinearizable);
  // Without the unknown put the same cas is a violation.
  EXPECT_EQ(verdict_of({put(1, "k", "a", 0, 10), cas(3, "k", "a", "x", false, 20, 30)}),
            Verdict::kNotLinearizable);
}

TEST(CheckerAccepts, UnreadValuesStillExplainTheReport) {
  // "b" and "c" are never read, so the search treats them as one value; the explanation still
  // shows the recorded ones.
  const auto r = check_history(
      {put(1, "k", "b", 0, 10), put(1, "k", "c", 20, 30), get(2, "k", kAbsentValue, 40, 50)},
      CheckOptions{});
  ASSERT_EQ(r.verdict, Verdict::kNotLinearizable);
  const Violation& v = r.violations.at(0);
  EXPECT_EQ(v.value_after_prefix, "c");
  ASSERT_FALSE(v.unplaced.empty());
  EXPECT_NE(v.unplaced[0].why.find("it read absent but the value here is \"c\""), std::string::npos)
      << v.unplaced[0].why;
}

TEST(CheckerAccepts, UnknownDeleteEitherWay) {
  for (const auto& seen : {std::optional<std::string>("a"), kAbsentValue}) {
    EXPECT_EQ(
        verdict_of({put(1, "k", "a", 0, 10), del(2, "k", 20, kUnknown), get(3, "k", seen, 30, 40)}),
        Verdict::kLinearizable);
  }
}

TEST(CheckerAccepts, UnknownCasEitherWay) {
  for (const char* seen : {"a", "b"}) {
    EXPECT_EQ(
        verdict_of({put(1, "k", "a", 0, 10), cas(2, "k", "a", "b", std::nullopt, 20, kUnknown),
                    get(3, "k", seen, 30, 40)}),
        Verdict::kLinearizable);
  }
}

TEST(CheckerAccepts, UnknownGetIsIgnored) {
  EXPECT_EQ(verdict_of({put(1, "k", "a", 0, 10), get(2, "k", kAbsentValue, 20, kUnknown)}),
            Verdict::kLinearizable);
}

TEST(CheckerAccepts, CasWithNullExpectedOnAnAbsentKey) {
  EXPECT_EQ(verdict_of({cas(1, "k", kAbsentValue, "a", true, 0, 10),
                        cas(2, "k", kAbsentValue, "b", false, 20, 30), get(3, "k", "a", 40, 50)}),
            Verdict::kLinearizable);
}

TEST(CheckerAccepts, CasChainAndDeleteThenRecreate) {
  EXPECT_EQ(verdict_of({put(1, "k", "a", 0, 10), cas(2, "k", "a", "b", true, 20, 30),
                        cas(3, "k", "a", "c", false, 25, 35), del(1, "k", 40, 50),
                        cas(2, "k", kAbsentValue, "d", true, 60, 70), get(3, "k", "d", 80, 90)}),
            Verdict::kLinearizable);
}

TEST(CheckerAccepts, TouchingIntervalsCountAsConcurrent) {
  // The put ends at the very nanosecond the get starts: either order is possible, so reading the
  // key as absent is allowed (a clock this coarse cannot order them).
  EXPECT_EQ(verdict_of({put(1, "k", "a", 0, 10), get(2, "k", kAbsentValue, 10, 20)}),
            Verdict::kLinearizable);
}

TEST(CheckerAccepts, ZeroLengthIntervals) {
  EXPECT_EQ(verdict_of({put(1, "k", "a", 5, 5), get(2, "k", "a", 6, 6), del(1, "k", 7, 7),
                        get(2, "k", kAbsentValue, 8, 8)}),
            Verdict::kLinearizable);
}

TEST(CheckerAccepts, DuplicateValuesAreHandled) {
  // The format promises unique values, but the checker does not rely on it.
  EXPECT_EQ(verdict_of({put(1, "k", "a", 0, 10), put(1, "k", "b", 20, 30), put(1, "k", "a", 40, 50),
                        get(2, "k", "a", 60, 70)}),
            Verdict::kLinearizable);
}

TEST(CheckerAccepts, StatsCountKindsAndOutcomes) {
  const auto r = check_history(
      {put(1, "k", "a", 0, 10), get(2, "j", kAbsentValue, 0, 10), del(3, "k", 20, kUnknown),
       cas(4, "k", "a", "b", true, 30, 40), cas(4, "k", "zz", "c", false, 50, 60)},
      CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::kLinearizable);
  EXPECT_EQ(r.stats.operations, 5u);
  EXPECT_EQ(r.stats.keys, 2u);
  EXPECT_EQ(r.stats.puts, 1u);
  EXPECT_EQ(r.stats.gets, 1u);
  EXPECT_EQ(r.stats.deletes, 1u);
  EXPECT_EQ(r.stats.cas, 2u);
  EXPECT_EQ(r.stats.cas_succeeded, 1u);
  EXPECT_EQ(r.stats.cas_failed, 1u);
  EXPECT_EQ(r.stats.unknown_outcomes, 1u);
}

}  // namespace
}  // namespace paxoskv::checker
