#include "client/bench/pacer.h"

#include <cmath>

namespace paxoskv::bench {

OpenLoopPacer::OpenLoopPacer(std::int64_t start_ns, double rate_per_s)
    : start_ns_(start_ns), interval_ns_(1e9 / rate_per_s) {}

std::int64_t OpenLoopPacer::next_due_ns() const {
  // Computed from the index rather than accumulated, so rounding does not drift over a long run.
  return start_ns_ + std::llround(static_cast<double>(taken_) * interval_ns_);
}

std::optional<std::int64_t> OpenLoopPacer::take_due(std::int64_t now_ns) {
  const std::int64_t due = next_due_ns();
  if (due > now_ns) return std::nullopt;
  ++taken_;
  return due;
}

}  // namespace paxoskv::bench
