// Helpers shared by the config loader tests: a minimal valid TOML document and a one-call loader
// over inline text, environment pairs and flag pairs.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/server_config.h"

namespace paxoskv::config_test {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Three peers; node.id 1. Tests append sections to it or replace pieces of it.
inline const std::string kPeersToml = R"(
[[peers]]
id = 1
peer_address = "127.0.0.1:7001"
client_address = "127.0.0.1:7101"

[[peers]]
id = 2
peer_address = "127.0.0.1:7002"
client_address = "127.0.0.1:7102"

[[peers]]
id = 3
peer_address = "127.0.0.1:7003"
client_address = "127.0.0.1:7103"
)";

inline const std::string kMinimalToml = "[node]\nid = 1\n" + kPeersToml;

// The label errors from `file_text` carry: file_path is set so the source reads like a real file.
inline const std::string kFileName = "test.toml";

inline ConfigLoad load(const std::string& toml, Pairs environment = {}, Pairs overrides = {}) {
  ConfigSources sources;
  sources.file_path = kFileName;
  sources.file_text = toml;
  sources.environment = std::move(environment);
  sources.overrides = std::move(overrides);
  return load_server_config(sources);
}

// Loads `toml` (placed before the peers table) plus kPeersToml and returns its errors.
inline std::vector<ConfigError> errors_of(const std::string& toml, Pairs environment = {},
                                          Pairs overrides = {}) {
  return load(toml + "\n" + kPeersToml, std::move(environment), std::move(overrides)).errors;
}

// Whether some error has exactly this source and key and a reason containing `reason_part`.
inline bool has_error(const std::vector<ConfigError>& errors, const std::string& source,
                      const std::string& key, const std::string& reason_part) {
  return std::any_of(errors.begin(), errors.end(), [&](const ConfigError& e) {
    return e.source == source && e.key == key && e.reason.find(reason_part) != std::string::npos;
  });
}

// For failure messages: every error on its own line.
inline std::string dump(const std::vector<ConfigError>& errors) {
  return "errors:\n" + format_config_errors(errors);
}

}  // namespace paxoskv::config_test
