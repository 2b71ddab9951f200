// Random linearizable histories, for the checker's tests and benchmark (target
// paxoskv_checker_gen, not part of paxoskv_checker).
//
// Clients issue operations one after another on a few keys. Each operation gets a linearization
// point inside its interval; applying the operations to a per-key register in the order of those
// points gives every return value, so the history is linearizable by construction. Some
// operations get an unknown outcome: they take effect at a point after their start (possibly
// after the client has moved on) or never. Every value written is unique.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "checker/operation.h"

namespace paxoskv::checker {

struct GeneratorOptions {
  std::uint64_t seed = 1;
  std::size_t operations = 1000;
  std::size_t clients = 8;
  std::size_t keys = 4;
  double unknown_fraction = 0.02;  // share of operations whose outcome is unknown
  std::int64_t duration_max_ns = 1000;
  std::int64_t gap_max_ns = 300;  // pause of a client between two operations
};

struct GeneratedHistory {
  std::vector<Operation> operations;  // in invocation order
  // Per operation: the time it took effect, or -1 if it never did (unknown outcome only).
  std::vector<std::int64_t> linearization_ns;
};

GeneratedHistory generate_linearizable_history(const GeneratorOptions& options);

}  // namespace paxoskv::checker
