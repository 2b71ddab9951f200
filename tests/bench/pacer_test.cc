// Open-loop due times and latency accounting, with the clock passed in: a stall (of the server
// or of the driver) shows in full in the latency of every request that was due during it.
#include "client/bench/pacer.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "client/bench/stats.h"

namespace paxoskv::bench {
namespace {

constexpr std::int64_t kMs = 1'000'000;

std::vector<std::int64_t> take_all(OpenLoopPacer& pacer, std::int64_t now) {
  std::vector<std::int64_t> due;
  while (auto d = pacer.take_due(now)) due.push_back(*d);
  return due;
}

TEST(OpenLoopPacer, RequestsAreDueAtStartPlusIOverRate) {
  OpenLoopPacer pacer(5 * kMs, 1000);  // one per millisecond from t = 5 ms
  EXPECT_TRUE(take_all(pacer, 4 * kMs).empty());
  EXPECT_EQ(take_all(pacer, 5 * kMs), std::vector<std::int64_t>{5 * kMs});
  EXPECT_EQ(pacer.next_due_ns(), 6 * kMs);
  // The driver wakes late, at 9.5 ms: everything due meanwhile is still sent, with its due time.
  EXPECT_EQ(take_all(pacer, 9 * kMs + kMs / 2),
            (std::vector<std::int64_t>{6 * kMs, 7 * kMs, 8 * kMs, 9 * kMs}));
  EXPECT_EQ(pacer.taken(), 5u);
}

TEST(OpenLoopPacer, NoDriftOverManyRequests) {
  OpenLoopPacer pacer(0, 3);  // 333,333,333.3 ns apart
  std::int64_t last = 0;
  for (int i = 0; i < 3000; ++i) last = *pacer.take_due(std::int64_t{2000} * 1'000'000'000);
  EXPECT_EQ(last, 999'666'666'667);  // request 2999 at 2999/3 s, rounded once
}

TEST(LatencyAccounting, ClosedLoopCountsFromSendOpenLoopFromDue) {
  IntervalStats stats;
  RequestTimes closed{10 * kMs, 10 * kMs, 12 * kMs};
  RequestTimes open{10 * kMs, 14 * kMs, 16 * kMs};  // sent 4 ms late
  stats.record(OpKind::kPut, Outcome::kOk, closed, false);
  stats.record(OpKind::kGet, Outcome::kOk, open, false);
  EXPECT_EQ(stats.ops[0].latency_ns.max(), static_cast<std::uint64_t>(2 * kMs));
  EXPECT_EQ(stats.ops[1].latency_ns.max(), static_cast<std::uint64_t>(6 * kMs));
  EXPECT_EQ(stats.late_sends, 1u);
  EXPECT_EQ(stats.max_send_lag_ns, 4 * kMs);
}

TEST(LatencyAccounting, OnlyOkRequestsHaveLatencies) {
  IntervalStats stats;
  stats.record(OpKind::kPut, Outcome::kTimeout, {0, 0, 5000 * kMs}, false);
  stats.record(OpKind::kPut, Outcome::kError, {0, 0, kMs}, false);
  stats.record(OpKind::kCas, Outcome::kOk, {0, 0, kMs}, true);
  const OpStats total = stats.total();
  EXPECT_EQ(total.count, 3u);
  EXPECT_EQ(total.ok, 1u);
  EXPECT_EQ(total.timeouts, 1u);
  EXPECT_EQ(total.errors, 1u);
  EXPECT_EQ(total.compare_failed, 1u);
  EXPECT_EQ(total.latency_ns.count(), 1u);
}

// A whole open loop against a simulated server that answers every request 1 ms after it
// arrives, except that it stalls from 100 ms to 300 ms (answers pile up until 300 ms). At
// 1000/s for 1 s, 200 requests are due during the stall; measured from their due times, their
// latencies spread up to 200 ms, so p90 and beyond show the stall. A closed loop with one
// request in flight would have sent a single request during the stall and reported a p99 of
// about 1 ms (coordinated omission).
TEST(LatencyAccounting, AServerStallShowsInOpenLoopPercentiles) {
  const std::int64_t stall_from = 100 * kMs, stall_until = 300 * kMs;
  auto answer_at = [&](std::int64_t sent) {
    const std::int64_t normal = sent + kMs;
    return sent >= stall_from && sent < stall_until ? stall_until + kMs : normal;
  };
  OpenLoopPacer pacer(0, 1000);
  IntervalStats stats;
  // The driver ticks every 100 us of simulated time and sends what is due.
  for (std::int64_t now = 0; now < 1000 * kMs; now += kMs / 10) {
    while (auto due = pacer.take_due(now)) {
      const RequestTimes t{*due, now, answer_at(now)};
      stats.record(OpKind::kPut, Outcome::kOk, t, false);
    }
  }
  const Histogram& h = stats.ops[0].latency_ns;
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(stats.late_sends, 0u);  // the driver kept up; the server did not
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), 1.0 * kMs, 0.01 * kMs);
  // 200 of 1000 requests were due in the stall, answered at 301 ms: latency 301 ms - due.
  EXPECT_NEAR(static_cast<double>(h.percentile(90)), 101.0 * kMs, 1.5 * kMs);
  EXPECT_NEAR(static_cast<double>(h.percentile(99)), 191.0 * kMs, 2.0 * kMs);
  EXPECT_EQ(h.max(), static_cast<std::uint64_t>(201 * kMs));
}

// The driver itself stalls (a 50 ms pause of its thread): the requests due meanwhile go out late,
// are counted as late sends, and their latency still counts from the due time.
TEST(LatencyAccounting, ADriverStallIsCountedAsLateSends) {
  OpenLoopPacer pacer(0, 1000);
  IntervalStats stats;
  for (std::int64_t now = 0; now < 200 * kMs; now += kMs / 10) {
    if (now > 50 * kMs && now < 100 * kMs) continue;  // the driver is not running
    while (auto due = pacer.take_due(now)) {
      stats.record(OpKind::kPut, Outcome::kOk, {*due, now, now + kMs}, false);
    }
  }
  EXPECT_EQ(stats.ops[0].count, 200u);
  // Due at 51 .. 98 ms and sent at 100 ms: more than 1 ms late (99 ms is exactly 1 ms late).
  EXPECT_EQ(stats.late_sends, 48u);
  EXPECT_EQ(stats.max_send_lag_ns, 49 * kMs);
  EXPECT_EQ(stats.ops[0].latency_ns.max(), static_cast<std::uint64_t>(50 * kMs));
}

}  // namespace
}  // namespace paxoskv::bench
