// The `paxoskv` command-line client, as a library so that parsing and output formatting can be
// tested without a process or a server.
//
//   paxoskv [--endpoints host:port,...] [-w simple|json|table] [--timeout-ms N] COMMAND ...
//     put KEY VALUE [--prev-kv]
//     get KEY [--serializable]
//     del KEY [--prev-kv] [--range-end END | --prefix]
//     cas KEY NEW_VALUE (--expect-value V | --expect-version N | --expect-mod-revision N |
//                        --expect-absent)
//     scan PREFIX [--limit N] [--serializable]
//     status
//   paxoskv bench [options]     the benchmark driver (must come first; see bench/runner.h)
//
// Endpoints come from --endpoints, else $PAXOSKV_ENDPOINTS, else 127.0.0.1:7101,7102,7103.
//
// Exit status (etcdctl-like):
//   0  success
//   1  the answer was "no": get of a missing key (prints nothing, so `v=$(paxoskv get k)` tells
//      absence by the status, not by an empty string, which is a valid value), a cas whose compare
//      failed, or any other kNotFound
//   2  usage error
//   3  any other failure (timeout -- outcome unknown --, unavailable, bad request, ...), with one
//      line "paxoskv: error: ..." on stderr; `status` fails only when no endpoint answered.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "common/protocol.h"

namespace paxoskv::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNo = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 3;

inline constexpr const char* kDefaultEndpoints = "127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103";

enum class OutputFormat { kSimple, kJson, kTable };
enum class Command { kPut, kGet, kDel, kCas, kScan, kStatus };

// Everything the command line says, validated.
struct CliArgs {
  std::vector<std::string> endpoints;
  OutputFormat format = OutputFormat::kSimple;
  std::uint32_t timeout_ms = 5000;
  Command command = Command::kGet;
  std::string key;    // KEY, or PREFIX for scan
  std::string value;  // VALUE for put, NEW_VALUE for cas
  bool prev_kv = false;
  bool serializable = false;
  std::optional<std::string> range_end;  // del --range-end
  bool prefix = false;                   // del --prefix
  std::uint64_t limit = 0;               // scan --limit
  Compare compare;                       // cas
};

struct ParseOutcome {
  std::optional<CliArgs> args;  // set when a command should run
  int exit_code = kExitOk;      // when args is empty: 0 after --help, 2 after a usage error
};

// Parses argv (argv[0] is the program name). `env_endpoints` is $PAXOSKV_ENDPOINTS (null if
// unset). Help goes to `out`; usage errors go to `err` as one "paxoskv: error: ..." line.
ParseOutcome parse_args(int argc, const char* const* argv, const char* env_endpoints,
                        std::ostream& out, std::ostream& err);

// The Request a (non-status) command sends.
Request build_request(const CliArgs& args);

// Prints the answer to a (non-status) command and returns the exit status.
int render_response(const CliArgs& args, const Response& response, std::ostream& out,
                    std::ostream& err);

// Prints the status of each endpoint (responses[i] answers endpoints[i]) and returns the exit
// status: 0 if at least one endpoint answered kOk.
int render_status(const CliArgs& args, const std::vector<Response>& responses, std::ostream& out,
                  std::ostream& err);

// The whole program: parse, talk to the cluster, print. Returns the exit status.
int run(int argc, const char* const* argv, const char* env_endpoints, std::ostream& out,
        std::ostream& err);

}  // namespace paxoskv::cli
