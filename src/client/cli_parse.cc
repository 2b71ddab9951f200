// Command-line parsing for `paxoskv` (CLI11) and the run() driver.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <exception>
#include <ostream>

#include "client/bench/runner.h"
#include "client/cli.h"
#include "client/client.h"
#include "client/requests.h"

namespace paxoskv::cli {
namespace {

void usage_error(std::ostream& err, const std::string& message) {
  err << "paxoskv: error: " << message << '\n';
}

}  // namespace

ParseOutcome parse_args(int argc, const char* const* argv, const char* env_endpoints,
                        std::ostream& out, std::ostream& err) {
  CliArgs a;
  CLI::App app{"Command-line client for the paxoskv replicated key-value store.", "paxoskv"};
  // Global options may follow the subcommand too (`paxoskv get k -w json`).
  app.fallthrough();
  app.require_subcommand(1);

  std::string endpoints_flag;
  app.add_option("--endpoints", endpoints_flag,
                 "Comma-separated host:port client endpoints (default: $PAXOSKV_ENDPOINTS, else " +
                     std::string(kDefaultEndpoints) + ")");
  std::string format = "simple";
  app.add_option("-w,--write-out", format, "Output format: simple, json or table")
      ->check(CLI::IsMember({"simple", "json", "table"}));
  app.add_option("--timeout-ms", a.timeout_ms,
                 "Per-command deadline in milliseconds, retries included (default 5000)")
      ->check(CLI::Range(1u, 24u * 3600u * 1000u));

  auto* put = app.add_subcommand("put", "Write KEY = VALUE; prints OK");
  put->add_option("KEY", a.key, "Key")->required();
  put->add_option("VALUE", a.value, "Value")->required();
  put->add_flag("--prev-kv", a.prev_kv, "Also print the previous key and value");

  auto* get = app.add_subcommand("get", "Print the value of KEY (nothing and exit 1 if absent)");
  get->add_option("KEY", a.key, "Key")->required();
  get->add_flag("--serializable", a.serializable,
                "Read the contacted node's state without a quorum round (may be stale)");

  auto* del = app.add_subcommand("del", "Delete KEY (or a range); prints the number deleted");
  del->add_option("KEY", a.key, "Key, or start of the range")->required();
  del->add_flag("--prev-kv", a.prev_kv, "Also print the deleted key-value(s)");
  std::string range_end;
  auto* range_end_opt =
      del->add_option("--range-end", range_end, "Delete [KEY, END) instead of one key");
  auto* prefix_opt = del->add_flag("--prefix", a.prefix, "Delete every key starting with KEY");
  range_end_opt->excludes(prefix_opt);

  auto* cas = app.add_subcommand(
      "cas", "Set KEY to NEW_VALUE if the expectation holds; prints OK or 'compare failed'");
  cas->add_option("KEY", a.key, "Key")->required();
  cas->add_option("NEW_VALUE", a.value, "Value to write")->required();
  auto* expect = cas->add_option_group("expectation", "Exactly one of:");
  std::string expect_value;
  std::int64_t expect_version = 0;
  std::int64_t expect_mod_revision = 0;
  bool expect_absent = false;
  auto* ev = expect->add_option("--expect-value", expect_value, "Current value equals V");
  auto* ever = expect->add_option("--expect-version", expect_version,
                                  "Current version equals N (0 = absent)");
  auto* emr = expect->add_option("--expect-mod-revision", expect_mod_revision,
                                 "Revision of the last write equals N");
  auto* eab = expect->add_flag("--expect-absent", expect_absent, "The key does not exist");
  expect->require_option(1);

  auto* scan = app.add_subcommand("scan", "Print key and value lines of every key under PREFIX");
  scan->add_option("PREFIX", a.key, "Key prefix (\"\" = all keys)")->required();
  scan->add_option("--limit", a.limit, "At most N keys (0 = all)");
  scan->add_flag("--serializable", a.serializable, "Read without a quorum round (may be stale)");

  auto* status = app.add_subcommand("status", "Show the status of every endpoint");

  // `bench` has its own parser (bench/runner.h); run() hands it argv when it comes first. This
  // entry only lists it in --help and catches it after global options.
  auto* bench_cmd = app.add_subcommand("bench", "Benchmark driver; see `paxoskv bench --help`");
  bench_cmd->prefix_command();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e, out, err);
    return {std::nullopt, kExitOk};
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e, out, err);
    return {std::nullopt, kExitOk};
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    if (what.empty()) what = e.get_name();
    usage_error(err, what + " (run with --help for usage)");
    return {std::nullopt, kExitUsage};
  }

  if (bench_cmd->parsed()) {
    usage_error(err, "bench must be the first argument: paxoskv bench [options]");
    return {std::nullopt, kExitUsage};
  }

  // Endpoints: flag > environment > default. An explicitly empty value is an error, not a
  // silent fallback, because it usually means a script's variable was unset.
  std::string endpoint_text = kDefaultEndpoints;
  if (app.count("--endpoints") > 0) {
    endpoint_text = endpoints_flag;
  } else if (env_endpoints != nullptr && *env_endpoints != '\0') {
    endpoint_text = env_endpoints;
  }
  std::string error;
  if (!client::parse_endpoint_list(endpoint_text, a.endpoints, &error)) {
    usage_error(err, "--endpoints: " + error);
    return {std::nullopt, kExitUsage};
  }

  a.format = format == "json"    ? OutputFormat::kJson
             : format == "table" ? OutputFormat::kTable
                                 : OutputFormat::kSimple;
  if (put->parsed()) a.command = Command::kPut;
  if (get->parsed()) a.command = Command::kGet;
  if (del->parsed()) a.command = Command::kDel;
  if (scan->parsed()) a.command = Command::kScan;
  if (status->parsed()) a.command = Command::kStatus;
  if (del->parsed() && range_end_opt->count() > 0) a.range_end = range_end;
  if (cas->parsed()) {
    a.command = Command::kCas;
    if (ev->count() > 0) a.compare = client::compare_value(expect_value);
    if (ever->count() > 0) a.compare = client::compare_version(expect_version);
    if (emr->count() > 0) a.compare = client::compare_mod_revision(expect_mod_revision);
    if (eab->count() > 0) a.compare = client::compare_absent();
  }
  return {std::move(a), kExitOk};
}

Request build_request(const CliArgs& a) {
  switch (a.command) {
    case Command::kPut:
      return client::make_put(a.key, a.value, a.prev_kv);
    case Command::kGet:
      return client::make_get(a.key, a.serializable);
    case Command::kDel:
      if (a.prefix) return client::make_delete_range(a.key, prefix_end(a.key), a.prev_kv);
      if (a.range_end) return client::make_delete_range(a.key, *a.range_end, a.prev_kv);
      return client::make_delete(a.key, a.prev_kv);
    case Command::kCas:
      return client::make_cas(a.key, a.compare, a.value);
    case Command::kScan:
      return client::make_prefix_scan(a.key, a.limit, a.serializable);
    case Command::kStatus:
      break;
  }
  return client::make_status();
}

int run(int argc, const char* const* argv, const char* env_endpoints, std::ostream& out,
        std::ostream& err) {
  if (argc >= 2 && std::string(argv[1]) == "bench") {
    return bench::bench_main(argc - 1, argv + 1, env_endpoints, out, err);
  }
  ParseOutcome parsed = parse_args(argc, argv, env_endpoints, out, err);
  if (!parsed.args) return parsed.exit_code;
  const CliArgs& a = *parsed.args;
  try {
    client::ClientOptions options;
    options.endpoints = a.endpoints;
    options.request_timeout = std::chrono::milliseconds(a.timeout_ms);
    // Give a short command several attempts inside its deadline.
    options.attempt_timeout = std::chrono::milliseconds(
        std::min<std::uint32_t>(1000, std::max<std::uint32_t>(a.timeout_ms / 3, 1)));
    client::Client kv(options);
    if (a.command == Command::kStatus) {
      return render_status(a, kv.status_all(a.endpoints), out, err);
    }
    return render_response(a, kv.send(build_request(a)), out, err);
  } catch (const std::exception& e) {
    err << "paxoskv: error: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace paxoskv::cli
