// The example configurations in configs/ must load without errors and describe one consistent
// cluster per directory: operators copy them, and the integration tests start servers from them.
#include <gtest/gtest.h>

#include <string>

#include "config_test_util.h"

#ifndef PAXOSKV_SOURCE_DIR
#error "PAXOSKV_SOURCE_DIR must name the source tree (set by tests/config/CMakeLists.txt)"
#endif

namespace paxoskv {
namespace {

using config_test::dump;

std::string example_path(int cluster_size, int node) {
  return std::string(PAXOSKV_SOURCE_DIR) + "/configs/cluster" + std::to_string(cluster_size) +
         "/node" + std::to_string(node) + ".toml";
}

ConfigLoad load_example(int cluster_size, int node) {
  ConfigSources sources;
  sources.file_path = example_path(cluster_size, node);
  return load_server_config(sources);
}

class ExampleCluster : public ::testing::TestWithParam<int> {};

TEST_P(ExampleCluster, EveryNodeFileLoadsCleanlyAndAgreesWithItsSiblings) {
  const int n = GetParam();
  ConfigLoad first = load_example(n, 1);
  for (int i = 1; i <= n; ++i) {
    SCOPED_TRACE(example_path(n, i));
    ConfigLoad result = load_example(n, i);
    ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
    const ServerConfig& c = result.config;
    EXPECT_EQ(c.node_id, static_cast<std::uint64_t>(i));
    EXPECT_EQ(c.data_dir, "data/node" + std::to_string(i));
    EXPECT_EQ(c.peer_listen, "127.0.0.1:" + std::to_string(7000 + i));
    EXPECT_EQ(c.client_listen, "127.0.0.1:" + std::to_string(7100 + i));
    // Each node listens where its siblings will dial it.
    EXPECT_EQ(c.self().peer_address, c.peer_listen);
    EXPECT_EQ(c.self().client_address, c.client_listen);
    // Same membership, cluster id and consensus timing everywhere, or the cluster cannot form.
    EXPECT_EQ(c.peers, first.config.peers);
    EXPECT_EQ(c.cluster_id, first.config.cluster_id);
    EXPECT_EQ(c.tick_ms, first.config.tick_ms);
    EXPECT_EQ(c.election_timeout_ticks, first.config.election_timeout_ticks);
    EXPECT_TRUE(c.to_paxos_config().validate().empty());
  }
  ASSERT_EQ(first.config.peers.size(), static_cast<std::size_t>(n));
  for (int i = 1; i <= n; ++i) {
    const PeerConfig& peer = first.config.peers[static_cast<std::size_t>(i - 1)];
    EXPECT_EQ(peer.id, static_cast<std::uint64_t>(i));
    EXPECT_EQ(peer.peer_address, "127.0.0.1:" + std::to_string(7000 + i));
    EXPECT_EQ(peer.client_address, "127.0.0.1:" + std::to_string(7100 + i));
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, ExampleCluster, ::testing::Values(3, 5),
                         [](const ::testing::TestParamInfo<int>& param_info) {
                           return "Cluster" + std::to_string(param_info.param);
                         });

TEST(ExampleConfigs, EnvironmentAndFlagsStillOverrideAnExample) {
  // The way an operator moves node 2 of the example onto another data directory for one run.
  ConfigSources sources;
  sources.file_path = example_path(3, 2);
  sources.environment = {{"PAXOSKV_NODE_DATA_DIR", "/tmp/elsewhere"}};
  sources.overrides = {{"log.level", "debug"}};
  ConfigLoad result = load_server_config(sources);
  ASSERT_TRUE(result.errors.empty()) << dump(result.errors);
  EXPECT_EQ(result.config.data_dir, "/tmp/elsewhere");
  EXPECT_EQ(result.config.log_level, "debug");
  EXPECT_EQ(result.config.node_id, 2u);
}

}  // namespace
}  // namespace paxoskv
