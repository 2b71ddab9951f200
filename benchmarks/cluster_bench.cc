// Throughput of the consensus core: a 3-node OmniPaxos cluster over MemoryStorage, no faults,
// every node and the "network" driven in-process on one CPU core.
//
// Reported items/s = entries decided (on the leader) per second of that one core, for 256-byte
// entries. All three replicas run on the same core, so this is the CPU cost of the whole cluster
// per decided entry, not the throughput of one server.
//
// Each benchmark iteration is one round of the driver:
//   1. propose `per_round` entries at the leader (OmniPaxos::append);
//   2. pump: take_outgoing() from every node, storage.sync() (a no-op for MemoryStorage, but a real
//      driver must sync before sending, storage.h rule 3), deliver each message with handle() at
//      its destination; repeat until the leader's decided_idx covers every proposal;
//   3. optionally ("apply" variants) every node reads its newly decided entries with
//      read_decided(), as the state machine of an application would.
// The pump stops as soon as the leader has decided; messages not yet taken from a node stay in its
// outbox and go out with the next round (so the decided index rides on the next AcceptDecide, as it
// does under steady load, instead of a separate Decide/Accepted exchange per round).
//
// Variants:
//   batched:    batch_entries_max = 4096; `per_round` entries proposed before pumping, so one
//               AcceptDecide per follower carries the whole round.
//   unbatched:  batch_entries_max = 1; every AcceptDecide carries one entry. With per_round = 1
//               every entry also costs one full round trip; with per_round = 1024 the entries are
//               pipelined (many AcceptDecide in flight) but not batched.
//   *_apply:    as above, plus read_decided() on every node after each round.
//
// Allocator: by default glibc gives freed memory back to the kernel (heap trimming, and mmap for
// blocks over ~128 KiB such as a growing log vector). Each epoch rebuild then frees ~60 MB and
// the next epoch page-faults it all in again *inside* the timed region: measured at ~1M minor
// faults and ~40% system time, which made the variants 2-3x slower. That is an artefact of the
// rebuild, not a cost of the core (a long-running server reuses its heap), so main() below tells
// glibc to keep freed memory. Pass --paxos_malloc_defaults to measure with glibc's defaults.
//
// Memory: the log only grows (there is no trimming or snapshotting in the core) and each node
// keeps every entry (~300 bytes each with the string header and heap overhead, so ~900 bytes per
// entry for the cluster). Instead of capping the iteration count
// (which would stop Google Benchmark from choosing a statistically useful run length), the cluster
// is torn down and rebuilt, outside the timed region, every kEpochEntries entries. That bounds the
// resident log to ~65k entries per node (~60 MB for the cluster) and also keeps every round
// working on a log of comparable size. The pause/resume costs ~1 us and happens once per epoch
// (every 64 rounds when batched), which is negligible; in the unbatched per_round = 1 case it
// happens once every 65k iterations.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "paxos/config.h"
#include "paxos/memory_storage.h"
#include "paxos/messages.h"
#include "paxos/omni_paxos.h"
#include "paxos/storage.h"
#include "paxos/types.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

using paxoskv::paxos::Config;
using paxoskv::paxos::Entry;
using paxoskv::paxos::LogIndex;
using paxoskv::paxos::MemoryStorage;
using paxoskv::paxos::Message;
using paxoskv::paxos::NodeId;
using paxoskv::paxos::OmniPaxos;
using paxoskv::paxos::Phase;
using paxoskv::paxos::ProposeResult;

constexpr std::size_t kNodes = 3;
constexpr std::size_t kEntryBytes = 256;
// Entries one cluster instance decides before it is rebuilt (see "Memory" above).
constexpr std::size_t kEpochEntries = std::size_t{1} << 16;

struct Options {
  std::size_t batch_entries_max;
  bool apply;  // read decided entries on every node after each round
};

// A 256-byte payload that starts with its index in decimal, so that entries differ.
Entry make_payload(std::size_t i) {
  static const Entry filler(kEntryBytes, 'x');
  Entry e = filler;
  const std::string tag = std::to_string(i);
  e.replace(0, tag.size(), tag);
  return e;
}

class Cluster {
 public:
  explicit Cluster(const Options& options) {
    std::vector<NodeId> ids;
    for (std::size_t i = 0; i < kNodes; ++i) ids.push_back(NodeId(i + 1));
    for (std::size_t i = 0; i < kNodes; ++i) {
      Config config;
      config.node_id = ids[i];
      config.nodes = ids;
      config.batch_entries_max = options.batch_entries_max;
      storages_.push_back(std::make_unique<MemoryStorage>());
      nodes_.push_back(std::make_unique<OmniPaxos>(config, *storages_[i]));
    }
    applied_.assign(kNodes, LogIndex(0));
  }

  OmniPaxos& leader() { return *nodes_[0]; }

  // Elects node 1 and brings the cluster into the accept phase. False if that did not happen.
  bool elect() {
    leader().try_become_leader();
    pump_until_quiet();
    const auto s = leader().status();
    return leader().is_leader() && s.phase == Phase::kAccept;
  }

  // One driver step: every node hands over its outbox (after syncing its storage, as a real
  // driver must before sending), then every message is delivered. Returns the number delivered.
  // Not inlined so that a profiler can select it (valgrind --toggle-collect='*Cluster::step*').
  [[gnu::noinline]] std::size_t step() {
    in_flight_.clear();
    for (std::size_t i = 0; i < kNodes; ++i) {
      const std::size_t before = in_flight_.size();
      const paxoskv::paxos::DurabilityMark mark = nodes_[i]->durability_mark();
      nodes_[i]->take_outgoing(in_flight_);
      if (in_flight_.size() != before) storages_[i]->sync();
      nodes_[i]->made_durable(mark);
    }
    for (const Message& m : in_flight_) {
      nodes_[index_of(m.to)]->handle(m);
    }
    delivered_ += in_flight_.size();
    return in_flight_.size();
  }

  void pump_until_quiet() {
    while (step() != 0) {
    }
  }

  // Pumps until the leader has decided up to `target`. False if the cluster went quiet first.
  bool pump_until_decided(LogIndex target) {
    while (leader().decided_idx() < target) {
      if (step() == 0) return false;
    }
    return true;
  }

  // Every node reads the entries decided since its last call, as an application would apply them.
  [[gnu::noinline]] std::size_t apply_all() {
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < kNodes; ++i) {
      read_buf_.clear();
      nodes_[i]->read_decided(applied_[i], read_buf_);
      applied_[i] = applied_[i] + read_buf_.size();
      for (const Entry& e : read_buf_) bytes += e.size();
    }
    return bytes;
  }

  std::uint64_t delivered() const { return delivered_; }

 private:
  static std::size_t index_of(NodeId id) { return static_cast<std::size_t>(id.value() - 1); }

  std::vector<std::unique_ptr<MemoryStorage>> storages_;
  std::vector<std::unique_ptr<OmniPaxos>> nodes_;
  std::vector<Message> in_flight_;
  std::vector<LogIndex> applied_;
  std::vector<Entry> read_buf_;
  std::uint64_t delivered_ = 0;
};

// One cluster epoch: a freshly elected cluster plus the payloads it will be proposed.
struct Epoch {
  std::unique_ptr<Cluster> cluster;
  std::vector<Entry> payloads;  // moved into append(), one per proposal
  std::size_t next = 0;         // next payload to propose
};

bool start_epoch(Epoch& epoch, const Options& options, std::size_t epoch_entries) {
  epoch.cluster.reset();  // free the previous cluster's logs before building the next
  epoch.cluster = std::make_unique<Cluster>(options);
  epoch.payloads.clear();
  epoch.payloads.reserve(epoch_entries);
  for (std::size_t i = 0; i < epoch_entries; ++i) epoch.payloads.push_back(make_payload(i));
  epoch.next = 0;
  return epoch.cluster->elect();
}

void BM_Cluster(benchmark::State& state, Options options) {
  const auto per_round = static_cast<std::size_t>(state.range(0));
  // A whole number of rounds per epoch.
  const std::size_t epoch_entries = (kEpochEntries / per_round) * per_round;
  Epoch epoch;
  if (!start_epoch(epoch, options, epoch_entries)) {
    state.SkipWithError("the cluster did not elect a leader");
    return;
  }
  std::uint64_t decided = 0;
  std::uint64_t delivered = 0;  // messages, summed over finished epochs
  std::size_t applied_bytes = 0;

  for (auto _ : state) {
    if (epoch.next == epoch_entries) {
      state.PauseTiming();
      delivered += epoch.cluster->delivered();
      const bool ok = start_epoch(epoch, options, epoch_entries);
      state.ResumeTiming();
      if (!ok) {
        state.SkipWithError("the cluster did not elect a leader");
        break;
      }
    }
    Cluster& cluster = *epoch.cluster;
    OmniPaxos& leader = cluster.leader();
    for (std::size_t i = 0; i < per_round; ++i) {
      if (leader.append(std::move(epoch.payloads[epoch.next++])) != ProposeResult::kAccepted) {
        state.SkipWithError("the leader refused a proposal");
        break;
      }
    }
    if (!cluster.pump_until_decided(LogIndex(epoch.next))) {
      state.SkipWithError("the cluster went quiet before deciding the round");
      break;
    }
    if (options.apply) applied_bytes += cluster.apply_all();
    decided += per_round;
  }
  delivered += epoch.cluster->delivered();
  benchmark::DoNotOptimize(applied_bytes);

  state.SetItemsProcessed(static_cast<std::int64_t>(decided));
  state.SetBytesProcessed(static_cast<std::int64_t>(decided * kEntryBytes));
  // Messages delivered per round and per decided entry (includes the few of each epoch's
  // election). Google Benchmark prints small values with SI prefixes: 4.4m means 0.0044.
  state.counters["msgs/round"] =
      benchmark::Counter(static_cast<double>(delivered), benchmark::Counter::kAvgIterations);
  if (decided > 0) {
    state.counters["msgs/entry"] =
        benchmark::Counter(static_cast<double>(delivered) / static_cast<double>(decided));
  }
}

BENCHMARK_CAPTURE(BM_Cluster, batched, Options{4096, false})
    ->ArgName("per_round")
    ->Arg(1024)
    ->Arg(64);
BENCHMARK_CAPTURE(BM_Cluster, unbatched, Options{1, false})
    ->ArgName("per_round")
    ->Arg(1)
    ->Arg(1024);
BENCHMARK_CAPTURE(BM_Cluster, batched_apply, Options{4096, true})->ArgName("per_round")->Arg(1024);
BENCHMARK_CAPTURE(BM_Cluster, unbatched_apply, Options{1, true})->ArgName("per_round")->Arg(1);

}  // namespace

int main(int argc, char** argv) {
  // Our own flag, removed before Google Benchmark parses the rest.
  bool malloc_defaults = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--paxos_malloc_defaults") == 0) {
      malloc_defaults = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
#if defined(__GLIBC__)
  if (!malloc_defaults) {
    // Keep freed memory in the process (see "Allocator" above). 32 MiB is glibc's largest mmap
    // threshold; every block this benchmark allocates is smaller.
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
#endif
  benchmark::AddCustomContext("malloc", malloc_defaults ? "glibc defaults" : "no trim, no mmap");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
