// The history the nemesis harness records, in the JSON Lines format of issue 6 that paxoskv-check
// reads (src/checker/operation.h documents it), and the checks of it the harness makes itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/operation.h"
#include "common/protocol.h"

namespace paxoskv::nemesis {

// One monotonic clock for the whole run: every client, fault and check reads it.
class RunClock {
 public:
  RunClock() : start_(std::chrono::steady_clock::now()) {}
  std::int64_t now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// The history format and its writer belong to the checker (checker/operation.h).
using checker::op_kind_name;
using checker::OpKind;

struct HistoryOp {
  std::uint64_t client = 0;
  OpKind kind = OpKind::kGet;
  std::string key;
  std::string value;                      // put, and cas's new value
  std::optional<std::string> expected;    // cas: nullopt = "the key is absent"
  std::optional<std::string> read_value;  // get with a known outcome: nullopt = absent
  std::optional<bool> cas_succeeded;      // cas with a known outcome
  std::int64_t start_ns = 0;
  std::optional<std::int64_t> end_ns;  // nullopt: outcome unknown
  Status status = Status::kOk;         // the final status the client got (for the summary)

  bool known() const { return end_ns.has_value(); }
  // A put/delete/cas that went through the log and was answered (a failed cas included).
  bool acknowledged_write() const { return known() && kind != OpKind::kGet; }
};

// One line of the history format, without the newline (checker::to_json_line).
std::string to_json_line(const HistoryOp& op);
// Writes every operation, one per line, ordered by start_ns. Throws on an I/O error.
void write_history(const std::string& path, std::vector<HistoryOp> ops);

// Check 2, independent of the linearizability checker: every acknowledged write that changed a
// key (a put, a delete, a cas that returned true) must be visible in the final state unless some
// other write to that key could have been linearized after it, i.e. did not complete before it
// started (an unknown outcome counts: it may have applied late). `final_values` holds the final
// linearizable read of every key (nullopt = absent); keys missing from it are not checked.
// Returns one sentence per lost write.
std::vector<std::string> find_lost_writes(
    const std::vector<HistoryOp>& ops,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& final_values);

// Check 4: the completion time of the first acknowledged write that completed at or after `t_ns`,
// or nullopt if none did.
std::optional<std::int64_t> first_write_completed_after(const std::vector<HistoryOp>& ops,
                                                        std::int64_t t_ns);
// The completion time of the first acknowledged write that was started at or after `from_ns` and
// completed before `until_ns`: progress made while a fault was in force.
std::optional<std::int64_t> first_write_started_within(const std::vector<HistoryOp>& ops,
                                                       std::int64_t from_ns, std::int64_t until_ns);

}  // namespace paxoskv::nemesis
