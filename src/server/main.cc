// paxoskv-server: one node of a paxoskv cluster.
//
//   paxoskv-server --config configs/cluster3/node1.toml [--set section.key=value ...]
//                  [--repair] [--enable-fault-injection]
//
// Configuration precedence: --set > PAXOSKV_<SECTION>_<KEY> environment > file > defaults. A bad
// configuration is reported in full and the server does not start (exit status 2). SIGTERM and
// SIGINT stop it gracefully.
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <cstdio>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "common/server_config.h"
#include "server/node.h"
#include "storage/snapshot_store.h"
#include "storage/start_plan.h"

namespace {

// Many client connections need many descriptors: take the hard limit the operator allows.
void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::optional<spdlog::level::level_enum> parse_level(const std::string& name) {
  const auto level = spdlog::level::from_str(name);
  if (level == spdlog::level::off && name != "off") return std::nullopt;
  return level;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"paxoskv-server: one node of a replicated key-value store (OmniPaxos)"};
  std::string config_path;
  std::vector<std::string> overrides;
  app.add_option("-c,--config", config_path, "TOML configuration file");
  app.add_option("--set", overrides,
                 "override a configuration key, e.g. --set node.id=2 (repeatable)");
  bool repair = false;
  app.add_flag("--repair", repair,
               "if the write-ahead log is corrupt, truncate it at the last good batch and start "
               "(loses the writes after that point)");
  bool enable_fault_injection = false;
  app.add_flag("--enable-fault-injection", enable_fault_injection,
               "FOR TESTS ONLY: let any client drop this node's peer messages and slow down or "
               "fail its fsyncs (Op::kFault, used by scripts/nemesis.sh)");
  CLI11_PARSE(app, argc, argv);

  paxoskv::ConfigSources sources;
  sources.file_path = config_path;
  sources.environment = paxoskv::process_environment();
  for (const std::string& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "paxoskv-server: --set %s: expected section.key=value\n", o.c_str());
      return 2;
    }
    sources.overrides.emplace_back(o.substr(0, eq), o.substr(eq + 1));
  }
  paxoskv::ConfigLoad load = paxoskv::load_server_config(sources);
  if (!load.errors.empty()) {
    std::fprintf(stderr, "paxoskv-server: the configuration has %zu problem(s); not starting:\n%s",
                 load.errors.size(), paxoskv::format_config_errors(load.errors).c_str());
    return 2;
  }
  const paxoskv::ServerConfig& config = load.config;

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [node " + std::to_string(config.node_id) +
                      "] %v");
  spdlog::set_level(parse_level(config.log_level).value_or(spdlog::level::info));

  raise_file_limit();
  paxoskv::storage::DiskStorageOptions storage_options;
  storage_options.repair = repair;
  storage_options.segment_bytes_max = config.segment_bytes;
  storage_options.fsync = config.fsync == "on";
  // fdatasync then writes only data: the file's size and blocks are already on disk (one disk
  // write per batch instead of two on ext4).
  storage_options.zero_ahead_bytes = 1u << 20;
  if (!storage_options.fsync) {
    spdlog::warn("storage.fsync is OFF: acknowledged writes can be lost on a crash or power loss; "
                 "use this only to measure what durability costs");
  }
  auto opened = paxoskv::storage::DiskStorage::open(config.data_dir, storage_options);
  if (!opened) {
    std::fprintf(stderr, "paxoskv-server: %s\n", opened.error().message.c_str());
    return 1;
  }
  for (const std::string& action : opened.value()->recovery_report().actions) {
    spdlog::warn("recovery: {}", action);
  }
  spdlog::info("data directory {}: log end {}, decided {}", config.data_dir,
               opened.value()->log_end().value(), opened.value()->decided_idx().value());

  // Snapshots live next to the WAL (<data dir>/snapshots); the newest is restored by Node::start().
  paxoskv::storage::SnapshotStoreOptions snapshot_options;
  snapshot_options.repair = repair;
  // Three: the log starts at the previous snapshot (Snapshotter), whose file must survive the
  // moment between writing a new snapshot and the trim becoming durable.
  snapshot_options.keep = 3;
  auto snapshots = paxoskv::storage::SnapshotStore::open(config.data_dir, snapshot_options);
  if (!snapshots) {
    std::fprintf(stderr, "paxoskv-server: %s\n", snapshots.error().message.c_str());
    return 1;
  }
  // The newest snapshot and the recovered log must fit together (storage/start_plan.h).
  paxoskv::storage::DiskStorage& disk = *opened.value();
  std::optional<paxoskv::paxos::LogIndex> newest;
  if (auto latest = snapshots.value()->latest()) newest = latest->index;
  auto plan = paxoskv::storage::plan_start(newest, disk.recovery_report().fresh,
                                           disk.compacted_idx(), disk.decided_idx());
  if (!plan) {
    std::fprintf(stderr, "paxoskv-server: %s\n", plan.error().message.c_str());
    return 1;
  }
  if (plan.value().reset_log_to_snapshot) {
    // A snapshot transfer completed just before a crash that lost the core's matching batch:
    // finish that install (the snapshot holds only decided entries).
    spdlog::warn("completing the install of snapshot {} interrupted by a crash", newest->value());
    disk.reset_to_snapshot(*newest);
    disk.set_decided_idx(*newest);
    disk.sync();
  }

  asio::io_context io(1);
  paxoskv::server::Node node(io, config, std::move(opened.value()), std::move(snapshots.value()));
  if (enable_fault_injection) {
    node.enable_fault_injection();
    spdlog::warn("fault injection is ENABLED: any client can partition or crash this node");
  }
  try {
    node.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {} received: shutting down", signal);
    node.stop();
  });
  io.run();
  spdlog::info("stopped");
  return 0;
}
