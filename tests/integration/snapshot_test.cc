// Snapshots with real processes: the log is trimmed below snapshots while a follower is down, and
// the follower, restarted, catches up from a snapshot sent in chunks, then from the log; its state
// ends identical to the leader's. Bounded by deadlines; LocalCluster kills every process by PID.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "local_cluster.h"

namespace paxoskv::testing {
namespace {

using namespace std::chrono_literals;

// The node's status; all zero while it cannot answer (for example still starting).
NodeStatus status_of(LocalCluster& cluster, std::size_t node) {
  auto c = cluster.client(node, 2s);
  Response r = c.status(cluster.client_address(node));
  return r.status == Status::kOk ? r.node.value_or(NodeStatus{}) : NodeStatus{};
}

std::uint64_t directory_bytes(const std::string& path) {
  std::uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

TEST(Snapshots, ARestartedFollowerCatchesUpFromASnapshotAfterTheLogWasTrimmed) {
  LocalCluster cluster(3, {{"snapshot", {"interval_entries = 300", "chunk_bytes = 8192"}},
                           {"storage", {"segment_bytes = 65536"}}});
  cluster.start_all();
  auto leader = cluster.wait_for_leader(10s);
  ASSERT_TRUE(leader) << cluster.log_tail(1);
  const std::size_t follower = *leader == 1 ? 2 : 1;
  cluster.kill(follower);

  auto c = cluster.client();
  const std::string value(200, 'v');
  for (int i = 0; i < 2000; ++i) {
    Response r = c.put("key" + std::to_string(i % 500), value + std::to_string(i));
    ASSERT_EQ(r.status, Status::kOk) << "put " << i << ": " << r.error;
  }
  const NodeStatus before = status_of(cluster, *leader);
  ASSERT_TRUE(cluster.running(*leader)) << cluster.log_tail(*leader);
  ASSERT_GE(before.snapshots_taken, 3u);
  ASSERT_GT(before.compacted_idx, 0u) << "the leader never trimmed its log";
  // 2,000 entries of ~230 bytes went through; the leader keeps at most about two snapshot
  // intervals of log plus a segment, and its newest snapshots.
  const std::uint64_t wal_bytes =
      directory_bytes(cluster.dir() + "/data" + std::to_string(*leader) + "/wal");
  EXPECT_LT(wal_bytes, 3 * 65536u + 2 * 300 * 300u) << "WAL segments were not deleted";

  cluster.start(follower);
  ASSERT_TRUE(LocalCluster::wait_until(
      [&] {
        const NodeStatus s = status_of(cluster, follower);
        return s.applied_idx >= before.decided_idx && s.snapshots_installed >= 1;
      },
      20s))
      << cluster.log_tail(follower);
  // One more write reaches every node, and then all three states are identical.
  ASSERT_EQ(c.put("last", "write").status, Status::kOk);
  const NodeStatus final_leader = status_of(cluster, *leader);
  ASSERT_TRUE(LocalCluster::wait_until(
      [&] {
        for (std::size_t n = 1; n <= 3; ++n) {
          if (status_of(cluster, n).applied_idx < final_leader.decided_idx) return false;
        }
        return true;
      },
      10s));
  auto hash_of = [&](std::size_t node) {
    auto one = cluster.client(node, 2s);
    Request request;
    request.op = Op::kStatus;
    request.with_state_hash = true;
    Response r = one.send(request);
    EXPECT_EQ(r.status, Status::kOk) << r.error;
    return r.node ? r.node->state_hash : 0;
  };
  const std::uint64_t expected = hash_of(*leader);
  EXPECT_NE(expected, 0u);
  for (std::size_t n = 1; n <= 3; ++n) EXPECT_EQ(hash_of(n), expected) << "node " << n;
  auto on_follower = cluster.client(follower, 2s);
  Request get;
  get.op = Op::kGet;
  get.key = "key499";
  get.serializable = true;
  Response r = on_follower.send(get);
  ASSERT_EQ(r.status, Status::kOk) << r.error;
  ASSERT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(r.kvs[0].value, value + "1999");
}

}  // namespace
}  // namespace paxoskv::testing
