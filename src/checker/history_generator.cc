#include "checker/history_generator.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <string>

namespace paxoskv::checker {

namespace {

struct KeyState {
  std::optional<std::string> value;
  std::vector<std::string> written;  // every value that took effect so far, oldest first
};

// The value a cas compares with: usually the current one (so that many succeed), otherwise an
// older value, "absent", or a value nobody wrote.
std::optional<std::string> pick_expected(std::mt19937_64& rng, const KeyState& key) {
  const auto roll = std::uniform_int_distribution<int>(0, 9)(rng);
  if (roll < 6) return key.value;
  if (roll < 8 && !key.written.empty()) {
    return key.written[std::uniform_int_distribution<std::size_t>(0, key.written.size() - 1)(rng)];
  }
  if (roll < 9) return std::nullopt;
  return std::string("never-written");
}

}  // namespace

GeneratedHistory generate_linearizable_history(const GeneratorOptions& options) {
  std::mt19937_64 rng(options.seed);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  GeneratedHistory out;
  std::vector<std::int64_t> client_clock_ns(options.clients, 0);
  for (std::size_t i = 0; i < options.operations; ++i) {
    const std::size_t client = static_cast<std::size_t>(uniform(0, options.clients - 1));
    Operation op;
    op.client = client;
    const auto roll = uniform(0, 99);
    op.kind = roll < 30   ? OpKind::kPut
              : roll < 70 ? OpKind::kGet
              : roll < 80 ? OpKind::kDelete
                          : OpKind::kCas;
    op.key = "k" + std::to_string(uniform(0, static_cast<std::int64_t>(options.keys) - 1));
    if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) op.value = "v" + std::to_string(i);
    op.start_ns = client_clock_ns[client] + uniform(0, options.gap_max_ns);
    const std::int64_t duration_ns = uniform(0, options.duration_max_ns);
    client_clock_ns[client] = op.start_ns + duration_ns;
    std::int64_t point_ns = uniform(op.start_ns, op.start_ns + duration_ns);
    if (std::bernoulli_distribution(options.unknown_fraction)(rng)) {
      // Unknown: the client gave up at start + duration; the operation may still land later.
      point_ns = std::bernoulli_distribution(0.5)(rng)
                     ? uniform(op.start_ns, op.start_ns + 4 * options.duration_max_ns)
                     : -1;
    } else {
      op.end_ns = op.start_ns + duration_ns;
    }
    out.operations.push_back(std::move(op));
    out.linearization_ns.push_back(point_ns);
  }

  // Apply in linearization order to fill in what each operation returned.
  std::vector<std::size_t> order(out.operations.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return out.linearization_ns[a] < out.linearization_ns[b];
  });
  std::map<std::string, KeyState> keys;
  for (std::size_t i : order) {
    Operation& op = out.operations[i];
    KeyState& key = keys[op.key];
    if (out.linearization_ns[i] < 0) {  // never took effect
      if (op.kind == OpKind::kCas) op.expected = pick_expected(rng, key);
      continue;
    }
    switch (op.kind) {
      case OpKind::kPut:
        key.value = op.value;
        key.written.push_back(op.value);
        break;
      case OpKind::kGet:
        if (op.end_ns) op.read_value = key.value;
        break;
      case OpKind::kDelete:
        key.value.reset();
        break;
      case OpKind::kCas: {
        op.expected = pick_expected(rng, key);
        const bool holds = op.expected == key.value;
        if (op.end_ns) op.cas_succeeded = holds;
        // An unknown cas that "took effect" but found a different value changed nothing.
        if (holds) {
          key.value = op.value;
          key.written.push_back(op.value);
        }
        break;
      }
    }
  }
  std::vector<std::size_t> by_start(out.operations.size());
  std::iota(by_start.begin(), by_start.end(), 0);
  std::stable_sort(by_start.begin(), by_start.end(), [&](std::size_t a, std::size_t b) {
    return out.operations[a].start_ns < out.operations[b].start_ns;
  });
  GeneratedHistory sorted;
  for (std::size_t i : by_start) {
    sorted.operations.push_back(std::move(out.operations[i]));
    sorted.linearization_ns.push_back(out.linearization_ns[i]);
  }
  return sorted;
}

}  // namespace paxoskv::checker
