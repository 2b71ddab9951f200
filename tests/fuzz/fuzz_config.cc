// libFuzzer target: the server's TOML configuration loader on arbitrary file contents. It must
// report problems as ConfigErrors, never crash or throw; a config it accepts must be usable.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/server_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paxoskv::ConfigLoad load = paxoskv::load_server_config(
      paxoskv::ConfigSources{.file_text = std::string(reinterpret_cast<const char*>(data), size)});
  if (load.errors.empty()) {
    // A valid config names this node among the peers; these must not trip an assertion.
    (void)load.config.self();
    (void)load.config.to_paxos_config();
  } else {
    for (const auto& e : load.errors) {
      if (e.reason.empty()) std::abort();
    }
    (void)paxoskv::format_config_errors(load.errors);
  }
  return 0;
}
