// Independent, deliberately simple oracles for the checker's property tests:
//   is_valid_witness     does a claimed linearization respect real time and the register model?
//   brute_force_verdict  try every order of every subset of unknown-outcome operations.
// They work on Operation directly and share no code with the checker's search.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checker/operation.h"

namespace paxoskv::checker::testing {

// The register model written the obvious way: the value after `op`, or nullopt if `op` cannot
// take effect on `value` with the outcome it reported.
inline std::optional<std::optional<std::string>> oracle_step(
    const Operation& op, const std::optional<std::string>& value) {
  switch (op.kind) {
    case OpKind::kPut:
      return std::optional<std::string>(op.value);
    case OpKind::kDelete:
      return std::optional<std::string>();
    case OpKind::kGet:
      if (!op.end_ns || op.read_value == value) return value;
      return std::nullopt;
    case OpKind::kCas:
      if (op.cas_succeeded == false) {
        if (op.expected != value) return value;
        return std::nullopt;
      }
      if (op.expected == value) return std::optional<std::string>(op.value);
      return std::nullopt;
  }
  return std::nullopt;
}

// True if a must precede b in every linearization (a completed before b was invoked).
inline bool precedes(const Operation& a, const Operation& b) {
  return a.end_ns && *a.end_ns < b.start_ns;
}

// `order` lists indices into `history` (one key): every known-outcome operation exactly once,
// unknown ones at most once.
inline bool is_valid_witness(const std::vector<Operation>& history,
                             const std::vector<std::size_t>& order) {
  std::vector<int> position(history.size(), -1);
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (position.at(order[i]) != -1) return false;
    position[order[i]] = static_cast<int>(i);
  }
  for (std::size_t a = 0; a < history.size(); ++a) {
    if (history[a].end_ns && position[a] == -1) return false;
    for (std::size_t b = 0; b < history.size(); ++b) {
      if (position[a] != -1 && position[b] != -1 && precedes(history[a], history[b]) &&
          position[a] > position[b]) {
        return false;
      }
    }
  }
  std::optional<std::string> value;
  for (std::size_t i : order) {
    auto after = oracle_step(history[i], value);
    if (!after) return false;
    value = *after;
  }
  return true;
}

namespace detail {
inline bool brute_force(const std::vector<Operation>& h, std::vector<bool>& placed,
                        std::size_t known_left, const std::optional<std::string>& value) {
  if (known_left == 0) return true;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (placed[i]) continue;
    bool ready = true;  // everything that must precede i is placed
    for (std::size_t j = 0; j < h.size() && ready; ++j) {
      if (!placed[j] && j != i && precedes(h[j], h[i])) ready = false;
    }
    if (!ready) continue;
    const auto after = oracle_step(h[i], value);
    if (!after) continue;
    placed[i] = true;
    const bool ok = brute_force(h, placed, known_left - (h[i].end_ns ? 1 : 0), *after);
    placed[i] = false;
    if (ok) return true;
  }
  return false;
}
}  // namespace detail

// Linearizable or not, for a small history (every key treated as one register: use one key).
inline bool brute_force_verdict(const std::vector<Operation>& history) {
  std::vector<bool> placed(history.size(), false);
  std::size_t known = 0;
  for (const Operation& op : history) known += op.end_ns ? 1 : 0;
  return detail::brute_force(history, placed, known, std::nullopt);
}

}  // namespace paxoskv::checker::testing
