// What the driver counts: per operation kind, how many requests completed ok, with an error, or
// timed out, and the latency distribution of the ok ones (nanoseconds, in a Histogram).
//
// Outcomes: kOk is a served request -- including a get of an absent key (kNotFound) and a cas
// whose comparison did not hold (kCompareFailed, counted separately as compare_failed) --; kTimeout
// is the client library's "no answer within the request timeout, outcome unknown"; every other
// status (unavailable, busy, bad request, session expired, internal) is an error.
#pragma once

#include <array>
#include <cstdint>

#include "client/bench/histogram.h"
#include "client/bench/keyspace.h"
#include "client/bench/pacer.h"
#include "common/protocol.h"

namespace paxoskv::bench {

enum class Outcome : std::uint8_t { kOk = 0, kError = 1, kTimeout = 2 };
const char* outcome_name(Outcome outcome);
Outcome classify(Status status);

struct OpStats {
  std::uint64_t count = 0;
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t compare_failed = 0;  // cas only; included in ok
  Histogram latency_ns;              // ok requests only

  void record(Outcome outcome, std::int64_t latency, bool compare_failed);
  void merge(const OpStats& other);
  void clear();
};

struct IntervalStats {
  std::array<OpStats, kOpKinds> ops;  // indexed by OpKind
  // Open loop: requests sent more than kLateSendNs after they were due, and the worst lag.
  std::uint64_t late_sends = 0;
  std::int64_t max_send_lag_ns = 0;

  void record(OpKind kind, Outcome outcome, const RequestTimes& times, bool compare_failed);
  void merge(const IntervalStats& other);
  OpStats total() const;
};

}  // namespace paxoskv::bench
