// The server's fault-injection control with real processes: refused without the flag, and with
// it, blocks that show in the status and heal, bad arguments refused, a failing fsync ending the
// node through fatal(), and state_hash for comparing replicas. Every wait is bounded; every server
// is killed by its PID when the test ends.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "client/client.h"
#include "local_cluster.h"
#include "processes.h"
#include "storage/fatal.h"

namespace paxoskv::nemesis {
namespace {

using namespace std::chrono_literals;

client::Client node_client(const testing::LocalCluster& cluster, std::size_t node) {
  client::ClientOptions options;
  options.endpoints = {cluster.client_address(node)};
  options.request_timeout = 3s;
  options.attempt_timeout = 500ms;
  return client::Client(options);
}

Response fault(const testing::LocalCluster& cluster, std::size_t node, FaultCommand command) {
  Request r;
  r.op = Op::kFault;
  r.fault = command;
  return node_client(cluster, node).send(r);
}

NodeStatus status(const testing::LocalCluster& cluster, std::size_t node, bool with_hash) {
  Request r;
  r.op = Op::kStatus;
  r.with_state_hash = with_hash;
  const Response answer = node_client(cluster, node).send(r);
  EXPECT_EQ(answer.status, Status::kOk) << answer.error;
  return answer.node.value_or(NodeStatus{});
}

FaultCommand block(std::uint64_t peer, FaultCommand::Direction d) {
  return FaultCommand{FaultCommand::Kind::kBlockPeer, peer, d, 0};
}

TEST(FaultControl, RefusedWithoutTheFlagAndChangesNothing) {
  testing::LocalCluster cluster(1);
  cluster.start(1);  // LocalCluster starts servers without --enable-fault-injection
  ASSERT_TRUE(testing::LocalCluster::wait_until(
      [&] { return node_client(cluster, 1).put("k", "v").status == Status::kOk; }, 15s));
  const Response r = fault(cluster, 1, FaultCommand{FaultCommand::Kind::kFailFsync, 0, {}, 0});
  EXPECT_EQ(r.status, Status::kBadRequest);
  EXPECT_EQ(r.error, "fault injection is disabled; start the server with --enable-fault-injection");
  // The armed failure would have ended the node at its next fsync: it did not arm.
  EXPECT_EQ(node_client(cluster, 1).put("k", "w").status, Status::kOk);
  const NodeStatus s = status(cluster, 1, false);
  EXPECT_FALSE(s.fault_injection);
  EXPECT_EQ(s.active_faults, "");
}

TEST(FaultControl, BlocksShowInTheStatusAndHealAll) {
  testing::LocalCluster cluster(3);
  NodeProcesses processes(cluster);
  for (std::size_t i = 1; i <= 3; ++i) processes.start(i);
  ASSERT_TRUE(testing::LocalCluster::wait_until(
      [&] { return node_client(cluster, 1).put("k", "v").status == Status::kOk; }, 15s));

  EXPECT_EQ(fault(cluster, 1, block(2, FaultCommand::Direction::kOutgoing)).status, Status::kOk);
  EXPECT_EQ(fault(cluster, 1, block(3, FaultCommand::Direction::kBoth)).status, Status::kOk);
  FaultCommand slow{FaultCommand::Kind::kSlowFsync, 0, {}, 5};
  EXPECT_EQ(fault(cluster, 1, slow).status, Status::kOk);
  NodeStatus s = status(cluster, 1, false);
  EXPECT_TRUE(s.fault_injection);
  EXPECT_EQ(s.active_faults, "drop to 2,3; drop from 3; fsync delay 5 ms");
  EXPECT_EQ(fault(cluster, 1,
                  FaultCommand{FaultCommand::Kind::kUnblockPeer, 3,
                               FaultCommand::Direction::kIncoming, 0})
                .status,
            Status::kOk);
  EXPECT_EQ(status(cluster, 1, false).active_faults, "drop to 2,3; fsync delay 5 ms");

  // Bad arguments are refused and change nothing.
  Response r = fault(cluster, 1, block(1, FaultCommand::Direction::kBoth));
  EXPECT_EQ(r.status, Status::kBadRequest);
  EXPECT_EQ(r.error, "node 1 is not a peer of node 1");
  EXPECT_EQ(fault(cluster, 1, block(9, FaultCommand::Direction::kBoth)).status,
            Status::kBadRequest);
  slow.fsync_delay_ms = 600'000;
  EXPECT_EQ(fault(cluster, 1, slow).status, Status::kBadRequest);
  Request missing;
  missing.op = Op::kFault;
  EXPECT_EQ(node_client(cluster, 1).send(missing).status, Status::kBadRequest);
  EXPECT_EQ(status(cluster, 1, false).active_faults, "drop to 2,3; fsync delay 5 ms");

  EXPECT_EQ(fault(cluster, 1, FaultCommand{}).status, Status::kOk);  // heal all
  EXPECT_EQ(status(cluster, 1, false).active_faults, "");
}

TEST(FaultControl, StateHashIsEqualOnReplicasThatAppliedTheSameIndex) {
  testing::LocalCluster cluster(3);
  NodeProcesses processes(cluster);
  for (std::size_t i = 1; i <= 3; ++i) processes.start(i);
  client::ClientOptions options;
  options.endpoints = cluster.endpoints();
  options.request_timeout = 10s;
  client::Client kv(options);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(kv.put("k" + std::to_string(i), "v").status, Status::kOk);
  EXPECT_EQ(status(cluster, 1, false).state_hash, 0u);  // only computed when asked
  bool equal = false;
  testing::LocalCluster::wait_until(
      [&] {
        const NodeStatus a = status(cluster, 1, true);
        const NodeStatus b = status(cluster, 2, true);
        const NodeStatus c = status(cluster, 3, true);
        equal = a.state_hash != 0 && a.applied_idx == b.applied_idx &&
                b.applied_idx == c.applied_idx && a.state_hash == b.state_hash &&
                b.state_hash == c.state_hash;
        return equal;
      },
      10s);
  EXPECT_TRUE(equal);
}

TEST(FaultControl, AFailingFsyncEndsTheNodeThroughFatal) {
  testing::LocalCluster cluster(1);
  NodeProcesses processes(cluster);
  processes.start(1);
  ASSERT_TRUE(testing::LocalCluster::wait_until(
      [&] { return node_client(cluster, 1).put("k", "v").status == Status::kOk; }, 15s));
  ASSERT_EQ(fault(cluster, 1, FaultCommand{FaultCommand::Kind::kFailFsync, 0, {}, 0}).status,
            Status::kOk);
  client::ClientOptions options;
  options.endpoints = {cluster.client_address(1)};
  options.request_timeout = 1s;
  client::Client kv(options);
  EXPECT_NE(kv.put("k", "never acknowledged").status, Status::kOk);
  const std::optional<int> exit = processes.wait_exit(1, 10s);
  ASSERT_TRUE(exit.has_value());
  ASSERT_TRUE(WIFEXITED(*exit));
  EXPECT_EQ(WEXITSTATUS(*exit), storage::kFatalExitStatus);
  std::ifstream log(processes.log_path(1));
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_NE(text.str().find("fdatasync (injected failure)"), std::string::npos) << text.str();
  // The write was never acknowledged and the restarted node serves the state before it.
  processes.start(1);
  Response r;
  testing::LocalCluster::wait_until(
      [&] {
        r = node_client(cluster, 1).get("k");
        return r.status == Status::kOk;
      },
      15s);
  ASSERT_EQ(r.status, Status::kOk);
  ASSERT_EQ(r.kvs.size(), 1u);
}

}  // namespace
}  // namespace paxoskv::nemesis
