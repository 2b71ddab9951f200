// Every way a configuration can be wrong, one test per kind, each checking the error's source,
// key and reason; and that all errors of one load are reported together.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace paxoskv {
namespace {

using config_test::dump;
using config_test::errors_of;
using config_test::has_error;
using config_test::kFileName;
using config_test::kMinimalToml;
using config_test::kPeersToml;
using config_test::load;

// Expects exactly one error, with this source, key and a reason containing `reason_part`.
void expect_single(const std::vector<ConfigError>& errors, const std::string& source,
                   const std::string& key, const std::string& reason_part) {
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].source, source);
  EXPECT_EQ(errors[0].key, key);
  EXPECT_NE(errors[0].reason.find(reason_part), std::string::npos) << dump(errors);
}

TEST(ConfigErrors, SyntaxErrorReportsLineAndColumn) {
  auto errors = load("[node]\nid = 1\nbroken = = 3\n").errors;
  expect_single(errors, kFileName, "", "TOML syntax error at line 3, column");
}

TEST(ConfigErrors, DuplicateTomlKeyIsASyntaxError) {
  auto errors = load("[node]\nid = 1\nid = 2\n" + kPeersToml).errors;
  expect_single(errors, kFileName, "", "line 3");
}

TEST(ConfigErrors, MissingFileCannotBeRead) {
  ConfigSources sources;
  sources.file_path = "/nonexistent/paxoskv/node.toml";
  auto errors = load_server_config(sources).errors;
  expect_single(errors, "/nonexistent/paxoskv/node.toml", "", "cannot read file");
}

TEST(ConfigErrors, UnknownSection) {
  expect_single(errors_of("[node]\nid = 1\n[netwrok]\npeer_listen = \"a:1\"\n"), kFileName,
                "netwrok", "unknown section");
}

TEST(ConfigErrors, UnknownTopLevelKey) {
  expect_single(errors_of("verbose = true\n[node]\nid = 1\n"), kFileName, "verbose",
                "unknown top-level key");
}

TEST(ConfigErrors, SectionThatIsNotATable) {
  expect_single(errors_of("log = \"debug\"\n[node]\nid = 1\n"), kFileName, "log",
                "must be a table");
}

TEST(ConfigErrors, UnknownKeyInSection) {
  expect_single(errors_of("[node]\nid = 1\nname = \"x\"\n"), kFileName, "node.name",
                "unknown key in section [node]");
}

TEST(ConfigErrors, UnknownKeyInPeerEntry) {
  auto errors = load(kMinimalToml +
                     "[[peers]]\nid = 4\npeer_address = \"h:1\"\n"
                     "client_address = \"h:2\"\nweight = 3\n")
                    .errors;
  expect_single(errors, kFileName, "peers[3].weight", "unknown key");
}

TEST(ConfigErrors, MissingKeyInPeerEntry) {
  auto errors = load(kMinimalToml + "[[peers]]\nid = 4\npeer_address = \"h:1\"\n").errors;
  expect_single(errors, kFileName, "peers[3].client_address", "is required");
}

TEST(ConfigErrors, PeersThatAreNotTables) {
  expect_single(load("peers = [1, 2]\n[node]\nid = 1\n").errors, kFileName, "peers",
                "must be an array of tables");
}

TEST(ConfigErrors, EmptyPeersTable) {
  expect_single(load("peers = []\n[node]\nid = 1\n").errors, "configuration", "peers",
                "are required");
}

TEST(ConfigErrors, WrongTypes) {
  auto errors = errors_of(
      "[node]\nid = \"1\"\ncluster_id = 5\n[consensus]\ntick_ms = 2.5\n"
      "[log]\nlevel = true\n");
  EXPECT_EQ(errors.size(), 4u) << dump(errors);
  EXPECT_TRUE(has_error(errors, kFileName, "node.id", "must be an integer, got a string"));
  EXPECT_TRUE(has_error(errors, kFileName, "node.cluster_id", "must be a string, got an integer"));
  EXPECT_TRUE(has_error(errors, kFileName, "consensus.tick_ms", "got a floating-point number"));
  EXPECT_TRUE(has_error(errors, kFileName, "log.level", "must be a string, got a boolean"));
}

TEST(ConfigErrors, NegativeTomlInteger) {
  expect_single(errors_of("[node]\nid = 1\n[server]\nrequest_timeout_ms = -5\n"), kFileName,
                "server.request_timeout_ms", "'-5' is negative");
}

TEST(ConfigErrors, UnparsableEnvironmentNumbers) {
  // Environment values are text: digits only, no sign, no spaces, no trailing junk.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"12x", "not a non-negative decimal integer"},
      {"abc", "not a non-negative decimal"},
      {" 5", "not a non-negative decimal"},
      {"+5", "not a non-negative decimal"},
      {"0x10", "not a non-negative decimal"},
      {"1e3", "not a non-negative decimal"},
      {"-1", "is negative"},
      {"", "is empty"},
      {"99999999999999999999", "too large"}};
  for (const auto& [value, reason] : cases) {
    SCOPED_TRACE("value '" + value + "'");
    expect_single(errors_of("[node]\nid = 1\n", {{"PAXOSKV_CONSENSUS_TICK_MS", value}}),
                  "environment PAXOSKV_CONSENSUS_TICK_MS", "consensus.tick_ms", reason);
  }
}

TEST(ConfigErrors, UnparsableFlagNumber) {
  expect_single(errors_of("[node]\nid = 1\n", {}, {{"node.id", "2 "}}), "flag node.id", "node.id",
                "not a non-negative decimal integer");
}

TEST(ConfigErrors, OutOfRangeValues) {
  auto errors = errors_of(
      "[node]\nid = 1\n[consensus]\ntick_ms = 0\nelection_timeout_ticks = 1\n"
      "resend_timeout_ticks = 0\n",
      {{"PAXOSKV_CONSENSUS_TICK_MS", "10001"}}, {{"node.id", "0"}});
  EXPECT_EQ(errors.size(), 5u) << dump(errors);
  EXPECT_TRUE(has_error(errors, kFileName, "consensus.tick_ms", "between 1 and 10000, got 0"));
  EXPECT_TRUE(
      has_error(errors, "environment PAXOSKV_CONSENSUS_TICK_MS", "consensus.tick_ms", "got 10001"));
  EXPECT_TRUE(has_error(errors, kFileName, "consensus.election_timeout_ticks", "got 1"));
  EXPECT_TRUE(has_error(errors, kFileName, "consensus.resend_timeout_ticks", "got 0"));
  EXPECT_TRUE(has_error(errors, "flag node.id", "node.id", "at least 1, got 0"));
}

TEST(ConfigErrors, BadAddresses) {
  const std::vector<std::string> bad = {
      "localhost",  "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", ":7001",
      "127.0.0.1:", "a b:1",       "[::1:7001",       "[]:1",           "127.0.0.1:7001x"};
  for (const std::string& address : bad) {
    SCOPED_TRACE(address);
    expect_single(errors_of("[node]\nid = 1\n", {{"PAXOSKV_NETWORK_PEER_LISTEN", address}}),
                  "environment PAXOSKV_NETWORK_PEER_LISTEN", "network.peer_listen",
                  "expected host:port");
  }
  expect_single(errors_of("[node]\nid = 1\n[network]\nclient_listen = \"h:99999\"\n"), kFileName,
                "network.client_listen", "invalid port (must be 1..65535)");
}

TEST(ConfigErrors, BadPeerAddress) {
  std::string toml = kMinimalToml;
  toml.replace(toml.find("127.0.0.1:7102"), 14, "127.0.0.1");
  expect_single(load(toml).errors, kFileName, "peers[1].client_address", "has no port");
}

TEST(ConfigErrors, DuplicatePeerIds) {
  std::string toml = kMinimalToml;
  toml.replace(toml.find("id = 3"), 6, "id = 2");
  expect_single(load(toml).errors, kFileName, "peers[2].id", "duplicates the id 2 of peers[1]");
}

TEST(ConfigErrors, DuplicatePeerAddresses) {
  std::string toml = kMinimalToml;
  toml.replace(toml.find("127.0.0.1:7003"), 14, "127.0.0.1:7001");
  toml.replace(toml.find("127.0.0.1:7103"), 14, "127.0.0.1:7003");  // free again, not a dup
  expect_single(load(toml).errors, kFileName, "peers[2].peer_address",
                "duplicates the address 127.0.0.1:7001 of peers[0].peer_address");
}

TEST(ConfigErrors, NodeIdNotAmongPeers) {
  auto errors = load(kMinimalToml, {{"PAXOSKV_NODE_ID", "4"}}).errors;
  expect_single(errors, "configuration", "node.id",
                "node id 4 (from environment PAXOSKV_NODE_ID) is not among the peers (ids 1, 2, "
                "3, from test.toml)");
}

TEST(ConfigErrors, MissingNodeId) {
  expect_single(load(kPeersToml).errors, "configuration", "node.id", "is required");
}

TEST(ConfigErrors, BadLogLevel) {
  expect_single(errors_of("[node]\nid = 1\n", {}, {{"log.level", "verbose"}}), "flag log.level",
                "log.level", "'verbose' is not a log level");
}

TEST(ConfigErrors, BadClusterIdAndEmptyDataDir) {
  auto errors = errors_of("[node]\nid = 1\ncluster_id = \"my cluster\"\ndata_dir = \"\"\n");
  EXPECT_EQ(errors.size(), 2u) << dump(errors);
  EXPECT_TRUE(has_error(errors, kFileName, "node.cluster_id", "1..64 characters"));
  EXPECT_TRUE(has_error(errors, kFileName, "node.data_dir", "must not be empty"));
}

TEST(ConfigErrors, UnknownEnvironmentVariable) {
  auto errors =
      errors_of("[node]\nid = 1\n", {{"PAXOSKV_NODE_IDD", "1"}, {"PAXOSKV_node_id", "1"}});
  EXPECT_EQ(errors.size(), 2u) << dump(errors);
  EXPECT_TRUE(has_error(errors, "environment PAXOSKV_NODE_IDD", "PAXOSKV_NODE_IDD",
                        "unknown PAXOSKV_ environment variable"));
  EXPECT_TRUE(has_error(errors, "environment PAXOSKV_node_id", "PAXOSKV_node_id", "upper case"));
}

TEST(ConfigErrors, UnknownOverrideKey) {
  auto errors = errors_of("[node]\nid = 1\n", {}, {{"node_id", "1"}, {"consensus.tick", "1"}});
  EXPECT_EQ(errors.size(), 2u) << dump(errors);
  EXPECT_TRUE(has_error(errors, "flag node_id", "node_id", "unknown key"));
  EXPECT_TRUE(has_error(errors, "flag consensus.tick", "consensus.tick", "unknown key"));
}

TEST(ConfigErrors, MalformedPeersOverride) {
  auto errors = load(kMinimalToml, {{"PAXOSKV_PEERS", "1=a:1/a:2,,2=b:1,0=c:1/c:2,x=d:1/d:2"}},
                     {{"peers", "1=a:1/a:0"}})
                    .errors;
  const std::string env = "environment PAXOSKV_PEERS";
  EXPECT_EQ(errors.size(), 5u) << dump(errors);
  EXPECT_TRUE(has_error(errors, env, "peers[1]", "'' is malformed"));
  EXPECT_TRUE(has_error(errors, env, "peers[2]", "'2=b:1' is malformed"));
  EXPECT_TRUE(has_error(errors, env, "peers[3].id", "got 0"));
  EXPECT_TRUE(has_error(errors, env, "peers[4].id", "'x' is not a non-negative"));
  EXPECT_TRUE(has_error(errors, "flag peers", "peers[0].client_address", "invalid port"));
}

TEST(ConfigErrors, RejectedValueLeavesTheLowerLayerInPlace) {
  ConfigLoad result =
      load(kMinimalToml + "[consensus]\ntick_ms = 5\n", {{"PAXOSKV_CONSENSUS_TICK_MS", "fast"}});
  EXPECT_EQ(result.errors.size(), 1u) << dump(result.errors);
  EXPECT_EQ(result.config.tick_ms, 5u);
}

TEST(ConfigErrors, ListenAddressesMustDiffer) {
  expect_single(errors_of("[node]\nid = 1\n[network]\npeer_listen = \"h:1\"\n"
                          "client_listen = \"h:1\"\n"),
                "configuration", "network.client_listen", "must differ");
}

TEST(ConfigErrors, BatchMustFitInAFrameAndAFrameInThePeerQueue) {
  auto errors = errors_of(
      "[node]\nid = 1\n[network]\nmax_frame_bytes = 1048576\n"
      "peer_queue_bytes_max = 65536\n[consensus]\nbatch_bytes_max = 1048576\n");
  EXPECT_EQ(errors.size(), 2u) << dump(errors);
  EXPECT_TRUE(has_error(errors, "configuration", "consensus.batch_bytes_max", "one frame"));
  EXPECT_TRUE(has_error(errors, "configuration", "network.peer_queue_bytes_max", "at least"));
}

TEST(ConfigErrors, CoreValidationProblemsAreReported) {
  // Both within their own ranges, but read + write must exceed the 3 members, and the pipeline
  // must hold a full batch: paxos::Config::validate() says so.
  auto errors = errors_of(
      "[node]\nid = 1\n[consensus]\nread_quorum_size = 1\n"
      "write_quorum_size = 2\nbatch_entries_max = 100\n"
      "pipeline_entries_max = 50\n");
  EXPECT_EQ(errors.size(), 2u) << dump(errors);
  EXPECT_TRUE(has_error(errors, "configuration", "consensus.read_quorum_size",
                        "read_quorum_size + write_quorum_size"));
  EXPECT_TRUE(has_error(errors, "configuration", "consensus.pipeline_entries_max",
                        "pipeline_entries_max must be at least batch_entries_max"));
}

TEST(ConfigErrors, ManyErrorsAtOnce) {
  ConfigLoad result = load(R"(
[node]
id = 7
cluster_id = ""
[network]
peer_listen = "nowhere"
mystery = 1
[consensus]
tick_ms = 0
[log]
level = "loud"
[extra]
x = 1

[[peers]]
id = 1
peer_address = "127.0.0.1:7001"
client_address = "127.0.0.1:7101"
[[peers]]
id = 1
peer_address = "127.0.0.1:7002"
client_address = "127.0.0.1:7101"
)",
                           {{"PAXOSKV_SERVER_REQUEST_TIMEOUT_MS", "soon"}, {"PAXOSKV_BOGUS", "1"}},
                           {{"network.max_frame_bytes", "1"}, {"unknown", "1"}});
  const auto& e = result.errors;
  EXPECT_TRUE(has_error(e, kFileName, "node.cluster_id", "1..64 characters"));
  EXPECT_TRUE(has_error(e, kFileName, "network.peer_listen", "has no port"));
  EXPECT_TRUE(has_error(e, kFileName, "network.mystery", "unknown key"));
  EXPECT_TRUE(has_error(e, kFileName, "consensus.tick_ms", "between 1 and 10000"));
  EXPECT_TRUE(has_error(e, kFileName, "log.level", "not a log level"));
  EXPECT_TRUE(has_error(e, kFileName, "extra", "unknown section"));
  EXPECT_TRUE(has_error(e, kFileName, "peers[1].id", "duplicates the id 1"));
  EXPECT_TRUE(has_error(e, kFileName, "peers[1].client_address", "duplicates the address"));
  EXPECT_TRUE(has_error(e, "environment PAXOSKV_SERVER_REQUEST_TIMEOUT_MS",
                        "server.request_timeout_ms", "'soon'"));
  EXPECT_TRUE(has_error(e, "environment PAXOSKV_BOGUS", "PAXOSKV_BOGUS", "unknown"));
  EXPECT_TRUE(has_error(e, "flag network.max_frame_bytes", "network.max_frame_bytes", "got 1"));
  EXPECT_TRUE(has_error(e, "flag unknown", "unknown", "unknown key"));
  EXPECT_EQ(e.size(), 12u) << dump(e);
  // The formatted report has one line per error.
  std::string text = format_config_errors(e);
  EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')), e.size());
}

}  // namespace
}  // namespace paxoskv
