// paxoskv-server: one node of a paxoskv cluster.
//
//   paxoskv-server --config configs/cluster3/node1.toml [--set section.key=value ...]
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

  asio::io_context io(1);
  paxoskv::server::Node node(io, config, std::move(opened.value()));
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
