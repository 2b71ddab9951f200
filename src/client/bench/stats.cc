#include "client/bench/stats.h"

#include <algorithm>

namespace paxoskv::bench {

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kError:
      return "error";
    case Outcome::kTimeout:
      return "timeout";
  }
  return "?";
}

Outcome classify(Status status) {
  switch (status) {
    case Status::kOk:
    case Status::kNotFound:
    case Status::kCompareFailed:
      return Outcome::kOk;
    case Status::kTimeout:
      return Outcome::kTimeout;
    default:
      return Outcome::kError;
  }
}

void OpStats::record(Outcome outcome, std::int64_t latency, bool cas_compare_failed) {
  ++count;
  switch (outcome) {
    case Outcome::kOk:
      ++ok;
      // A clock step cannot make steady_clock go back, but a due time in the future could, in
      // principle, come from a caller's bug; clamp rather than wrap to 2^64.
      latency_ns.record(static_cast<std::uint64_t>(std::max<std::int64_t>(latency, 0)));
      break;
    case Outcome::kError:
      ++errors;
      break;
    case Outcome::kTimeout:
      ++timeouts;
      break;
  }
  if (cas_compare_failed) ++compare_failed;
}

void OpStats::merge(const OpStats& other) {
  count += other.count;
  ok += other.ok;
  errors += other.errors;
  timeouts += other.timeouts;
  compare_failed += other.compare_failed;
  latency_ns.merge(other.latency_ns);
}

void OpStats::clear() {
  count = ok = errors = timeouts = compare_failed = 0;
  latency_ns.clear();
}

void IntervalStats::record(OpKind kind, Outcome outcome, const RequestTimes& times,
                           bool compare_failed) {
  ops[static_cast<std::size_t>(kind)].record(outcome, times.latency_ns(), compare_failed);
  const std::int64_t lag = times.send_lag_ns();
  if (lag > kLateSendNs) ++late_sends;
  max_send_lag_ns = std::max(max_send_lag_ns, lag);
}

void IntervalStats::merge(const IntervalStats& other) {
  for (std::size_t i = 0; i < kOpKinds; ++i) ops[i].merge(other.ops[i]);
  late_sends += other.late_sends;
  max_send_lag_ns = std::max(max_send_lag_ns, other.max_send_lag_ns);
}

OpStats IntervalStats::total() const {
  OpStats t;
  for (const OpStats& s : ops) t.merge(s);
  return t;
}

}  // namespace paxoskv::bench
