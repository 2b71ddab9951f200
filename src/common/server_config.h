// Configuration of one paxoskv server node: a plain struct filled from (in increasing precedence)
// built-in defaults, a TOML file, environment variables PAXOSKV_<SECTION>_<KEY> and command-line
// overrides `section.key=value`. Unknown keys and bad values are errors; every error is reported
// at once with its source (file, environment variable or flag), key and reason.
//
// TOML layout (every key optional except node.id and the peers):
//   [node]       id, cluster_id, data_dir
//   [network]    peer_listen, client_listen, max_frame_bytes, max_client_connections,
//                client_idle_timeout_ms, peer_queue_bytes_max, client_queue_bytes_max
//   [consensus]  tick_ms, election_timeout_ticks, resend_timeout_ticks, batch_entries_max,
//                batch_bytes_max, pipeline_entries_max, proposal_buffer_entries_max,
//                read_quorum_size, write_quorum_size, leader_priority
//   [server]     request_timeout_ms, session_expiry_entries, max_pending_requests
//   [log]        level (trace|debug|info|warn|error|off)
//   [storage]    fsync (on|off), segment_bytes
//   [snapshot]   interval_entries, chunk_bytes, transfer_timeout_ms
//   [[peers]]    id, peer_address, client_address     -- every member, this node included
// The peers table can be overridden as a whole by PAXOSKV_PEERS or the flag `peers=...`, written
// "id=peer_host:port/client_host:port,id=...".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "paxos/config.h"

namespace paxoskv {

struct PeerConfig {
  std::uint64_t id = 0;
  std::string peer_address;    // host:port where it accepts peer connections
  std::string client_address;  // host:port where it accepts clients
  friend bool operator==(const PeerConfig&, const PeerConfig&) = default;
};

struct ServerConfig {
  // [node]
  std::uint64_t node_id = 0;
  std::string cluster_id = "paxoskv";
  std::string data_dir = "data";
  // [network]
  std::string peer_listen = "127.0.0.1:7001";
  std::string client_listen = "127.0.0.1:7101";
  std::uint64_t max_frame_bytes = 16 * 1024 * 1024;
  std::uint64_t max_client_connections = 1024;
  std::uint64_t client_idle_timeout_ms = 300'000;
  std::uint64_t peer_queue_bytes_max = 64 * 1024 * 1024;
  std::uint64_t client_queue_bytes_max = 8 * 1024 * 1024;
  // [consensus]
  std::uint64_t tick_ms = 10;
  std::uint64_t election_timeout_ticks = 20;
  std::uint64_t resend_timeout_ticks = 10;
  std::uint64_t batch_entries_max = 4096;
  std::uint64_t batch_bytes_max = 4 * 1024 * 1024;
  std::uint64_t pipeline_entries_max = 1 << 16;
  std::uint64_t proposal_buffer_entries_max = 1 << 16;
  std::uint64_t read_quorum_size = 0;   // 0 = majority
  std::uint64_t write_quorum_size = 0;  // 0 = majority
  std::uint64_t leader_priority = 0;
  // [server]
  std::uint64_t request_timeout_ms = 5000;
  std::uint64_t session_expiry_entries = 1'000'000;
  std::uint64_t max_pending_requests = 100'000;
  // [log]
  std::string log_level = "info";
  // [storage]
  std::string fsync = "on";
  std::uint64_t segment_bytes = 64 * 1024 * 1024;
  // [snapshot]
  std::uint64_t snapshot_interval_entries = 100'000;
  std::uint64_t snapshot_chunk_bytes = 1024 * 1024;
  std::uint64_t snapshot_transfer_timeout_ms = 10'000;
  // [[peers]]
  std::vector<PeerConfig> peers;

  // The entry of this node in `peers` (requires a validated config).
  const PeerConfig& self() const;
  // The consensus core's view of this configuration.
  paxos::Config to_paxos_config() const;
};

struct ConfigError {
  std::string source;  // "configs/node1.toml", "environment PAXOSKV_NODE_ID", "flag node.id"
  std::string key;     // "node.id", "peers[2].client_address", ...
  std::string reason;  // a sentence
};

struct ConfigSources {
  std::string file_path;  // empty: no file
  // When set, used as the file's contents instead of reading file_path (tests, fuzzing).
  std::optional<std::string> file_text;
  // The process environment as (name, value) pairs; only PAXOSKV_* names are looked at, and
  // unknown PAXOSKV_* names (other than PAXOSKV_ENDPOINTS, used by the CLI) are errors.
  std::vector<std::pair<std::string, std::string>> environment;
  // Command-line overrides as (section.key, value), e.g. ("node.id", "2").
  std::vector<std::pair<std::string, std::string>> overrides;
};

struct ConfigLoad {
  ServerConfig config;
  std::vector<ConfigError> errors;  // empty: `config` is valid and complete
};

ConfigLoad load_server_config(const ConfigSources& sources);
// The current process environment, for ConfigSources::environment.
std::vector<std::pair<std::string, std::string>> process_environment();
// "source: key: reason" lines, one per error.
std::string format_config_errors(const std::vector<ConfigError>& errors);

}  // namespace paxoskv
