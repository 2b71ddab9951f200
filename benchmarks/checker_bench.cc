// Time to check generated linearizable histories (history_generator.h) of 10k and 100k
// operations with paxoskv_checker. Generation happens outside the timed loop.
//
// Shapes: "spread" is the nemesis harness's intended shape (16 clients, 100 keys, 1% unknown
// outcomes); "one_key" puts every operation on a single key (8 clients, 1% unknown), the
// worst case for the per-key search because nothing is split.
#include <benchmark/benchmark.h>

#include "checker/checker.h"
#include "checker/history_generator.h"

namespace {

using paxoskv::checker::CheckOptions;
using paxoskv::checker::GeneratorOptions;
using paxoskv::checker::Verdict;

void check(benchmark::State& state, std::size_t clients, std::size_t keys) {
  GeneratorOptions options;
  options.seed = 7;
  options.operations = static_cast<std::size_t>(state.range(0));
  options.clients = clients;
  options.keys = keys;
  options.unknown_fraction = 0.01;
  const auto history = paxoskv::checker::generate_linearizable_history(options).operations;
  for (auto _ : state) {
    const auto result = paxoskv::checker::check_history(history, CheckOptions{});
    if (result.verdict != Verdict::kLinearizable) state.SkipWithError("not linearizable");
    benchmark::DoNotOptimize(result.search_steps);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_CheckSpread(benchmark::State& state) {
  check(state, 16, 100);
}
void BM_CheckOneKey(benchmark::State& state) {
  check(state, 8, 1);
}

BENCHMARK(BM_CheckSpread)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckOneKey)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
