// paxoskv-sim: runs seeded randomized simulations of an OmniPaxos cluster.
//
//   paxoskv-sim [--nodes N] [--seed S] [--runs R] [--steps K]
//
// Runs R runs with seeds S, S+1, ...; prints one summary line per run; on the first violation
// prints the details and SEED=<s>, and exits 1. `--runs 1 --seed <s>` replays a failure exactly.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include "random_run.h"

namespace {

// The seed of the run in progress, for the abort handler: a failed core assertion must still
// name the seed that reproduces it.
volatile std::sig_atomic_t g_have_seed = 0;
char g_seed_line[64];

void on_abort(int) {
  if (g_have_seed) {
    ssize_t ignored = write(STDERR_FILENO, g_seed_line, std::strlen(g_seed_line));
    (void)ignored;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Seeded simulation of an OmniPaxos cluster under faults"};
  std::size_t nodes = 3;
  std::uint64_t seed = 1;
  std::uint64_t runs = 1;
  std::uint64_t steps = 2000;
  app.add_option("--nodes", nodes, "cluster size")->check(CLI::Range(1, 9));
  app.add_option("--seed", seed, "first seed");
  app.add_option("--runs", runs, "number of runs (seeds seed, seed+1, ...)")->check(CLI::PositiveNumber);
  app.add_option("--steps", steps, "ticks of faults per run before healing");
  bool trace = false;
  app.add_flag("--trace", trace, "print every delivered message and fault to stderr");
  bool narrate = false;
  app.add_flag("--narrate", narrate, "tell the story of each run: faults, leaders, decisions");
  CLI11_PARSE(app, argc, argv);

  std::signal(SIGABRT, on_abort);
  std::uint64_t decided_total = 0;
  for (std::uint64_t i = 0; i < runs; ++i) {
    const std::uint64_t s = seed + i;
    std::snprintf(g_seed_line, sizeof g_seed_line, "SEED=%llu\n",
                  static_cast<unsigned long long>(s));
    g_have_seed = 1;
    paxoskv::sim::RunOptions options{nodes, s, steps, trace, narrate};
    paxoskv::sim::RunResult r = paxoskv::sim::run_random(options);
    std::printf("%s\n", r.summary().c_str());
    std::fflush(stdout);
    decided_total += r.decided;
    if (!r.violation.empty()) {
      std::printf("violation: %s\n", r.violation.c_str());
      std::printf("replay: paxoskv-sim --nodes %zu --seed %llu --runs 1 --steps %llu\n", nodes,
                  static_cast<unsigned long long>(s), static_cast<unsigned long long>(steps));
      std::printf("SEED=%llu\n", static_cast<unsigned long long>(s));
      return 1;
    }
  }
  std::printf("all %llu runs passed (%llu entries decided)\n",
              static_cast<unsigned long long>(runs), static_cast<unsigned long long>(decided_total));
  return 0;
}
