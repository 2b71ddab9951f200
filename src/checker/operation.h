// One recorded client operation of a paxoskv history, and its JSON Lines form.
//
// The history format (issue 6) is one JSON object per line, one line per operation:
//
//   {"client": 3, "op": "put"|"get"|"delete"|"cas", "key": "k1",
//    "value": "v"        put, and cas's new value (absent or null for get and delete)
//    "expected": "v0"    cas only: the value the cas compares with; null means "the key is absent"
//    "ret": ...          get: the value read, null if the key was absent; cas: true or false;
//                        put and delete: null (or the field left out)
//    "start_ns": 17,     invocation time, from one monotonic clock shared by every client of a run
//    "end_ns": 42}       completion time, or null when the outcome is unknown
//
// An operation whose outcome is unknown (the client timed out or lost its connection) may have
// taken effect at any moment after start_ns, or never; its "ret" must be null because nothing was
// returned. Fields not listed above are ignored, so a harness may add its own (an error text, say).
//
// The model is a register per key. Every key starts absent. put sets the value, delete makes the
// key absent, get reads. cas(expected, value) succeeds iff the current value equals `expected`
// (both present and equal, or `expected` null and the key absent), and then sets `value`; a cas
// that returned false changed nothing and only observed that the value differed from `expected`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paxoskv::checker {

enum class OpKind : std::uint8_t { kPut, kGet, kDelete, kCas };

// The spelling of `kind` in the history format: "put", "get", "delete", "cas".
std::string_view op_kind_name(OpKind kind);
// The inverse of op_kind_name; nullopt for any other text.
std::optional<OpKind> op_kind_from_name(std::string_view name);

struct Operation {
  std::uint64_t client = 0;
  OpKind kind = OpKind::kGet;
  std::string key;
  // put: the value written; cas: the value written if the cas succeeds. Unused for get and delete.
  std::string value;
  // cas only: the value compared with; nullopt means "succeeds iff the key is absent".
  std::optional<std::string> expected;
  // get only, and only when end_ns is set: the value read; nullopt means the key was absent.
  std::optional<std::string> read_value;
  // cas only: true or false when end_ns is set; nullopt when the outcome is unknown.
  std::optional<bool> cas_succeeded;
  std::int64_t start_ns = 0;
  // nullopt: the outcome is unknown (the operation may take effect at any time after start_ns).
  std::optional<std::int64_t> end_ns;
  // 1-based line of the history file this came from; 0 for operations built in code.
  std::size_t line = 0;

  bool outcome_known() const { return end_ns.has_value(); }
  bool operator==(const Operation&) const = default;
};

// Checks the rules the format states beyond JSON types: end_ns >= start_ns >= 0, a cas with a
// known outcome says whether it succeeded, an unknown outcome carries no return value, get and
// delete carry no value. Returns the first problem as a sentence, or nullopt if the operation is
// well formed. check_history() requires every operation to pass.
std::optional<std::string> validate_operation(const Operation& op);

// The operation as one line of the history format, without the trailing newline. Fields that do
// not apply to the kind are left out; "ret" and "end_ns" are always written (null if unknown).
// For an operation that passes validate_operation, parse_operation_line(to_json_line(op)) == op
// apart from `line`.
std::string to_json_line(const Operation& op);

// A short human-readable form for reports, for example
//   line 17: client 3 cas k1 "v1" -> "v2" = true [1200 ns, 3400 ns]
std::string describe_operation(const Operation& op);

// A value or absence as shown in reports: the value JSON-quoted, or `absent`.
std::string describe_value(const std::optional<std::string>& value);

}  // namespace paxoskv::checker
