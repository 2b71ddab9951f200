// Terse constructors for hand-written histories: times are plain integers (ns), `kUnknown` as an
// end time means the outcome is unknown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/checker.h"
#include "checker/operation.h"

namespace paxoskv::checker::testing {

inline constexpr std::optional<std::int64_t> kUnknown = std::nullopt;
inline const std::optional<std::string> kAbsentValue = std::nullopt;

inline Operation base(std::uint64_t client, OpKind kind, std::string key, std::int64_t start_ns,
                      std::optional<std::int64_t> end_ns) {
  Operation op;
  op.client = client;
  op.kind = kind;
  op.key = std::move(key);
  op.start_ns = start_ns;
  op.end_ns = end_ns;
  return op;
}

inline Operation put(std::uint64_t client, std::string key, std::string value,
                     std::int64_t start_ns, std::optional<std::int64_t> end_ns) {
  Operation op = base(client, OpKind::kPut, std::move(key), start_ns, end_ns);
  op.value = std::move(value);
  return op;
}

inline Operation get(std::uint64_t client, std::string key, std::optional<std::string> read,
                     std::int64_t start_ns, std::optional<std::int64_t> end_ns) {
  Operation op = base(client, OpKind::kGet, std::move(key), start_ns, end_ns);
  if (end_ns) op.read_value = std::move(read);
  return op;
}

inline Operation del(std::uint64_t client, std::string key, std::int64_t start_ns,
                     std::optional<std::int64_t> end_ns) {
  return base(client, OpKind::kDelete, std::move(key), start_ns, end_ns);
}

// `succeeded` must be nullopt exactly when end_ns is.
inline Operation cas(std::uint64_t client, std::string key, std::optional<std::string> expected,
                     std::string value, std::optional<bool> succeeded, std::int64_t start_ns,
                     std::optional<std::int64_t> end_ns) {
  Operation op = base(client, OpKind::kCas, std::move(key), start_ns, end_ns);
  op.expected = std::move(expected);
  op.value = std::move(value);
  op.cas_succeeded = succeeded;
  return op;
}

inline Verdict verdict_of(const std::vector<Operation>& history) {
  return check_history(history, CheckOptions{}).verdict;
}

}  // namespace paxoskv::checker::testing
