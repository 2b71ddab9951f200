// The operations on one key in the compact form the search works on, and the register model.
//
// Values are interned per key: id 0 means "absent", ids 1.. are the distinct strings written or
// compared on the key. The model state is one id, so a memoised search state is (set of
// linearized operations, id).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checker/operation.h"

namespace paxoskv::checker {

using ValueId = std::int32_t;
inline constexpr ValueId kAbsent = 0;
// end_ns of an operation whose outcome is unknown: it stays pending forever.
inline constexpr std::int64_t kNeverReturned = std::numeric_limits<std::int64_t>::max();

struct KeyOp {
  OpKind kind = OpKind::kGet;
  bool outcome_known = true;
  // put and cas: the value written (if a cas succeeds).
  ValueId written = kAbsent;
  // get: the value read. cas: the value compared with (kAbsent for "expected": null).
  ValueId compared = kAbsent;
  bool cas_succeeded = false;  // cas with a known outcome only
  std::int64_t start_ns = 0;
  std::int64_t end_ns = kNeverReturned;
  std::size_t history_index = 0;  // position in the vector given to split_by_key
};

struct KeyHistory {
  std::string key;
  // Sorted by (start_ns, history_index): the order in which the operations were invoked. A get
  // whose outcome is unknown constrains nothing and is left out.
  std::vector<KeyOp> ops;
  // values[id] is the value with that id; values[kAbsent] is nullopt.
  std::vector<std::optional<std::string>> values;
  std::size_t unknown_gets_dropped = 0;
  // Unknown-outcome writes left out by the rule in split_by_key.
  std::size_t unknown_writes_dropped = 0;
};

// Groups the history by key (keys in lexicographic order). P-compositionality (Herlihy & Wing):
// a history of independent per-key registers is linearizable iff each key's sub-history is.
//
// Two exact reductions shrink the search (neither changes the verdict):
//  - Values no operation observes (not read by a get, not compared by any cas) are merged into
//    one id: the model cannot tell them apart (every get and cas compares with an observed value
//    or absent), so states that differ only in which unobserved value is current behave alike.
//  - An unknown-outcome put or cas that writes an unobserved value is left out when no failed cas
//    on the key completes after it was invoked: a state holding an unobserved value lets only
//    writes and failed cas proceed, so taking such an operation can only help a failed cas;
//    without one, any linearization using it stays valid with it removed (it never returns, so
//    no real-time order involves it).
std::vector<KeyHistory> split_by_key(const std::vector<Operation>& history);

// The register model: the state after `op` takes effect in `state`, or nullopt if `op` cannot
// take effect there with the outcome it reported. For an operation whose outcome is unknown this
// is the outcome "it took effect"; "it never did" is the search leaving it out.
//   put: -> written            delete: -> absent         get: state must equal the value read
//   cas true: state must equal `compared`, -> written    cas false: state must differ, unchanged
//   cas unknown: as cas true (a cas that ran and failed changed nothing, like one never run)
inline std::optional<ValueId> apply_op(const KeyOp& op, ValueId state) {
  switch (op.kind) {
    case OpKind::kPut:
      return op.written;
    case OpKind::kDelete:
      return kAbsent;
    case OpKind::kGet:
      if (state == op.compared) return state;
      return std::nullopt;
    case OpKind::kCas:
      if (op.outcome_known && !op.cas_succeeded) {
        if (state != op.compared) return state;
        return std::nullopt;
      }
      if (state == op.compared) return op.written;
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace paxoskv::checker
