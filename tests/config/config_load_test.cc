// The loader's successful paths: defaults, every section, precedence of the layers, the peers
// override format and the mapping to the consensus core's Config.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "config_test_util.h"

namespace paxoskv {
namespace {

using config_test::dump;
using config_test::kMinimalToml;
using config_test::kPeersToml;
using config_test::load;
using config_test::Pairs;

TEST(ConfigLoad, MinimalFileKeepsEveryDefault) {
  ConfigLoad result = load(kMinimalToml);
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  ServerConfig expected;  // the header's defaults
  expected.node_id = 1;
  expected.peers = result.config.peers;
  const ServerConfig& c = result.config;
  EXPECT_EQ(c.cluster_id, expected.cluster_id);
  EXPECT_EQ(c.data_dir, "data");
  EXPECT_EQ(c.peer_listen, "127.0.0.1:7001");
  EXPECT_EQ(c.client_listen, "127.0.0.1:7101");
  EXPECT_EQ(c.max_frame_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(c.tick_ms, 10u);
  EXPECT_EQ(c.election_timeout_ticks, 20u);
  EXPECT_EQ(c.resend_timeout_ticks, 10u);
  EXPECT_EQ(c.read_quorum_size, 0u);
  EXPECT_EQ(c.request_timeout_ms, 5000u);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.peers.size(), 3u);
}

TEST(ConfigLoad, DefaultsAloneOnlyLackNodeIdAndPeers) {
  // Without any source the defaults are complete except for the two required keys.
  ConfigLoad result = load_server_config(ConfigSources{});
  ASSERT_EQ(result.errors.size(), 2u) << dump(result.errors);
  EXPECT_TRUE(config_test::has_error(result.errors, "configuration", "node.id", "is required"));
  EXPECT_TRUE(config_test::has_error(result.errors, "configuration", "peers", "are required"));
}

TEST(ConfigLoad, NodeSection) {
  ConfigLoad result =
      load("[node]\nid = 2\ncluster_id = \"prod-eu.1\"\ndata_dir = \"/var/lib/kv\"\n" + kPeersToml);
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  EXPECT_EQ(result.config.node_id, 2u);
  EXPECT_EQ(result.config.cluster_id, "prod-eu.1");
  EXPECT_EQ(result.config.data_dir, "/var/lib/kv");
}

TEST(ConfigLoad, NetworkSection) {
  ConfigLoad result = load(kMinimalToml + R"(
[network]
peer_listen = "0.0.0.0:8001"
client_listen = "[::1]:8101"
max_frame_bytes = 33554432
max_client_connections = 10
client_idle_timeout_ms = 60000
peer_queue_bytes_max = 134217728
client_queue_bytes_max = 1048576
)");
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  const ServerConfig& c = result.config;
  EXPECT_EQ(c.peer_listen, "0.0.0.0:8001");
  EXPECT_EQ(c.client_listen, "[::1]:8101");
  EXPECT_EQ(c.max_frame_bytes, 33554432u);
  EXPECT_EQ(c.max_client_connections, 10u);
  EXPECT_EQ(c.client_idle_timeout_ms, 60000u);
  EXPECT_EQ(c.peer_queue_bytes_max, 134217728u);
  EXPECT_EQ(c.client_queue_bytes_max, 1048576u);
}

TEST(ConfigLoad, ConsensusSection) {
  ConfigLoad result = load(kMinimalToml + R"(
[consensus]
tick_ms = 5
election_timeout_ticks = 40
resend_timeout_ticks = 8
batch_entries_max = 100
batch_bytes_max = 65536
pipeline_entries_max = 1000
proposal_buffer_entries_max = 500
read_quorum_size = 2
write_quorum_size = 2
leader_priority = 7
)");
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  const ServerConfig& c = result.config;
  EXPECT_EQ(c.tick_ms, 5u);
  EXPECT_EQ(c.election_timeout_ticks, 40u);
  EXPECT_EQ(c.resend_timeout_ticks, 8u);
  EXPECT_EQ(c.batch_entries_max, 100u);
  EXPECT_EQ(c.batch_bytes_max, 65536u);
  EXPECT_EQ(c.pipeline_entries_max, 1000u);
  EXPECT_EQ(c.proposal_buffer_entries_max, 500u);
  EXPECT_EQ(c.read_quorum_size, 2u);
  EXPECT_EQ(c.write_quorum_size, 2u);
  EXPECT_EQ(c.leader_priority, 7u);
}

TEST(ConfigLoad, ServerAndLogSections) {
  ConfigLoad result = load(kMinimalToml + R"(
[server]
request_timeout_ms = 250
session_expiry_entries = 42
max_pending_requests = 9
[log]
level = "debug"
)");
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  EXPECT_EQ(result.config.request_timeout_ms, 250u);
  EXPECT_EQ(result.config.session_expiry_entries, 42u);
  EXPECT_EQ(result.config.max_pending_requests, 9u);
  EXPECT_EQ(result.config.log_level, "debug");
}

TEST(ConfigLoad, PeersTableAndSelf) {
  ConfigLoad result = load("[node]\nid = 3\n" + kPeersToml);
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  ASSERT_EQ(result.config.peers.size(), 3u);
  EXPECT_EQ(result.config.peers[1], (PeerConfig{2, "127.0.0.1:7002", "127.0.0.1:7102"}));
  EXPECT_EQ(result.config.self(), (PeerConfig{3, "127.0.0.1:7003", "127.0.0.1:7103"}));
}

TEST(ConfigLoad, InlineTablePeersAndArbitraryIds) {
  // Ids are operator-chosen, not 1..n; inline-table arrays are the same TOML structure.
  ConfigLoad result = load(R"(
node.id = 900
peers = [ { id = 900, peer_address = "a.example:1", client_address = "a.example:2" },
          { id = 17, peer_address = "b.example:1", client_address = "b.example:2" } ]
)");
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  EXPECT_EQ(result.config.peers[1].id, 17u);
  EXPECT_EQ(result.config.self().peer_address, "a.example:1");
}

TEST(ConfigLoad, SelfThrowsWhenNodeIsNotAPeer) {
  ServerConfig config;
  config.node_id = 5;
  EXPECT_THROW(static_cast<void>(config.self()), std::logic_error);
}

TEST(ConfigPrecedence, EnvironmentOverridesFileAndFlagOverridesBoth) {
  const std::string toml = kMinimalToml + "[consensus]\ntick_ms = 5\nleader_priority = 1\n" +
                           "[log]\nlevel = \"warn\"\n";
  ConfigLoad file_only = load(toml);
  ASSERT_TRUE(file_only.errors.empty()) << dump(file_only.errors);
  EXPECT_EQ(file_only.config.tick_ms, 5u);

  ConfigLoad with_env =
      load(toml, {{"PAXOSKV_CONSENSUS_TICK_MS", "7"}, {"PAXOSKV_CONSENSUS_LEADER_PRIORITY", "2"}});
  ASSERT_TRUE(with_env.errors.empty()) << dump(with_env.errors);
  EXPECT_EQ(with_env.config.tick_ms, 7u);
  EXPECT_EQ(with_env.config.leader_priority, 2u);
  EXPECT_EQ(with_env.config.log_level, "warn");  // untouched keys keep the file's value

  ConfigLoad with_flag =
      load(toml, {{"PAXOSKV_CONSENSUS_TICK_MS", "7"}, {"PAXOSKV_CONSENSUS_LEADER_PRIORITY", "2"}},
           {{"consensus.tick_ms", "9"}});
  ASSERT_TRUE(with_flag.errors.empty()) << dump(with_flag.errors);
  EXPECT_EQ(with_flag.config.tick_ms, 9u);
  EXPECT_EQ(with_flag.config.leader_priority, 2u);
}

TEST(ConfigPrecedence, EveryKeyHasAnEnvironmentNameAndAFlag) {
  // Naming rule: PAXOSKV_ + section + "_" + key, upper case; flag: section.key.
  const Pairs values = {{"node.id", "2"},
                        {"node.cluster_id", "c1"},
                        {"node.data_dir", "d"},
                        {"network.peer_listen", "h:1"},
                        {"network.client_listen", "h:2"},
                        {"network.max_frame_bytes", "65536"},
                        {"network.max_client_connections", "3"},
                        {"network.client_idle_timeout_ms", "2000"},
                        {"network.peer_queue_bytes_max", "65536"},
                        {"network.client_queue_bytes_max", "8192"},
                        {"consensus.tick_ms", "3"},
                        {"consensus.election_timeout_ticks", "4"},
                        {"consensus.resend_timeout_ticks", "2"},
                        {"consensus.batch_entries_max", "5"},
                        {"consensus.batch_bytes_max", "6"},
                        {"consensus.pipeline_entries_max", "7"},
                        {"consensus.proposal_buffer_entries_max", "8"},
                        {"consensus.read_quorum_size", "2"},
                        {"consensus.write_quorum_size", "2"},
                        {"consensus.leader_priority", "11"},
                        {"server.request_timeout_ms", "12"},
                        {"server.session_expiry_entries", "13"},
                        {"server.max_pending_requests", "14"},
                        {"log.level", "error"}};
  Pairs environment;
  for (const auto& [key, value] : values) {
    std::string name = "PAXOSKV_";
    for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
    environment.emplace_back(name, value);
  }
  for (bool use_environment : {true, false}) {
    SCOPED_TRACE(use_environment ? "environment" : "flags");
    ConfigLoad result =
        use_environment ? load(kPeersToml, environment) : load(kPeersToml, {}, values);
    ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
    const ServerConfig& c = result.config;
    EXPECT_EQ(c.node_id, 2u);
    EXPECT_EQ(c.cluster_id, "c1");
    EXPECT_EQ(c.peer_listen, "h:1");
    EXPECT_EQ(c.max_frame_bytes, 65536u);
    EXPECT_EQ(c.client_queue_bytes_max, 8192u);
    EXPECT_EQ(c.election_timeout_ticks, 4u);
    EXPECT_EQ(c.proposal_buffer_entries_max, 8u);
    EXPECT_EQ(c.leader_priority, 11u);
    EXPECT_EQ(c.max_pending_requests, 14u);
    EXPECT_EQ(c.log_level, "error");
  }
}

TEST(ConfigPrecedence, ClientEndpointsVariableAndForeignVariablesAreIgnored) {
  ConfigLoad result =
      load(kMinimalToml,
           {{"PAXOSKV_ENDPOINTS", "127.0.0.1:7101"}, {"HOME", "/root"}, {"paxoskv_node_id", "9"}});
  EXPECT_TRUE(result.errors.empty()) << dump(result.errors);
  EXPECT_EQ(result.config.node_id, 1u);
}

TEST(ConfigPeersOverride, EnvironmentReplacesTheWholeTable) {
  ConfigLoad result = load(kMinimalToml, {{"PAXOSKV_PEERS",
                                           "1=10.0.0.1:7001/10.0.0.1:7101,"
                                           "5=10.0.0.5:7001/10.0.0.5:7101"}});
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  ASSERT_EQ(result.config.peers.size(), 2u);
  EXPECT_EQ(result.config.peers[1], (PeerConfig{5, "10.0.0.5:7001", "10.0.0.5:7101"}));
}

TEST(ConfigPeersOverride, FlagBeatsEnvironmentBeatsFile) {
  ConfigLoad result = load(kMinimalToml, {{"PAXOSKV_PEERS", "1=e:1/e:2"}},
                           {{"peers", "1=f:1/f:2,2=g:1/g:2"}, {"node.id", "2"}});
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  ASSERT_EQ(result.config.peers.size(), 2u);
  EXPECT_EQ(result.config.peers[0], (PeerConfig{1, "f:1", "f:2"}));
  EXPECT_EQ(result.config.self().client_address, "g:2");
}

TEST(ConfigPeersOverride, PeersWithoutAnyFile) {
  ConfigSources sources;
  sources.environment = {{"PAXOSKV_NODE_ID", "2"}};
  sources.overrides = {{"peers", "1=a:1/a:2,2=b:1/b:2,3=c:1/c:2"}};
  ConfigLoad result = load_server_config(sources);
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  EXPECT_EQ(result.config.peers.size(), 3u);
}

TEST(ConfigToPaxos, MapsEveryConsensusField) {
  ConfigLoad result = load(
      "[node]\nid = 3\n[consensus]\nelection_timeout_ticks = 30\n"
      "resend_timeout_ticks = 6\nbatch_entries_max = 64\n"
      "batch_bytes_max = 1024\npipeline_entries_max = 128\n"
      "proposal_buffer_entries_max = 256\nread_quorum_size = 3\n"
      "write_quorum_size = 1\nleader_priority = 4\n" +
      kPeersToml);
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  paxos::Config core = result.config.to_paxos_config();
  EXPECT_EQ(core.node_id, paxos::NodeId(3));
  EXPECT_EQ(core.nodes,
            (std::vector<paxos::NodeId>{paxos::NodeId(1), paxos::NodeId(2), paxos::NodeId(3)}));
  EXPECT_EQ(core.config_id, paxos::ConfigId(1));
  EXPECT_EQ(core.leader_priority, 4u);
  EXPECT_EQ(core.read_quorum_size, 3u);
  EXPECT_EQ(core.write_quorum_size, 1u);
  EXPECT_EQ(core.election_timeout_ticks, 30u);
  EXPECT_EQ(core.resend_timeout_ticks, 6u);
  EXPECT_EQ(core.batch_entries_max, 64u);
  EXPECT_EQ(core.batch_bytes_max, 1024u);
  EXPECT_EQ(core.pipeline_entries_max, 128u);
  EXPECT_EQ(core.proposal_buffer_entries_max, 256u);
  EXPECT_TRUE(core.validate().empty());
}

TEST(ConfigFormat, OneLinePerErrorWithSourceKeyAndReason) {
  std::string text = format_config_errors({{"a.toml", "node.id", "must be non-zero"},
                                           {"a.toml", "", "cannot read file: x"},
                                           {"flag log.level", "log.level", "bad"}});
  EXPECT_EQ(text,
            "a.toml: node.id: must be non-zero\n"
            "a.toml: cannot read file: x\n"
            "flag log.level: log.level: bad\n");
  EXPECT_EQ(format_config_errors({}), "");
}

TEST(ConfigEnvironment, ProcessEnvironmentReadsEnviron) {
  ASSERT_EQ(setenv("PAXOSKV_CONFIG_TEST_PROBE", "a=b", 1), 0);
  Pairs env = process_environment();
  unsetenv("PAXOSKV_CONFIG_TEST_PROBE");
  // The value keeps everything after the first '='.
  EXPECT_NE(std::find(env.begin(), env.end(),
                      std::pair<std::string, std::string>{"PAXOSKV_CONFIG_TEST_PROBE", "a=b"}),
            env.end());
}

}  // namespace
}  // namespace paxoskv
