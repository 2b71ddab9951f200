// Integration tests with real server processes on loopback: failover, catch-up, exactly-once
// retries and read-your-writes. Each test is bounded by explicit deadlines and stops every process
// it started (LocalCluster's destructor kills by PID).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>

#include "common/codec.h"
#include "common/frame.h"
#include "local_cluster.h"
#include "raw_connection.h"

namespace paxoskv::testing {
namespace {

using namespace std::chrono_literals;

// The first put of a client session with a fixed id, for tests that send it through RawConnection
// (and may send it again, as a retry).
Request first_put_of_session(std::uint64_t client_id, std::string key, std::string value) {
  Request put;
  put.client_id = client_id;
  put.seq = 1;
  put.first_unacked_seq = 1;
  put.op = Op::kPut;
  put.key = std::move(key);
  put.value = std::move(value);
  return put;
}

TEST(Cluster, WritesContinueAfterTheLeaderIsKilled) {
  LocalCluster cluster(3);
  cluster.start_all();
  auto leader = cluster.wait_for_leader(10s);
  ASSERT_TRUE(leader) << cluster.log_tail(1);
  auto c = cluster.client();
  for (int i = 0; i < 20; ++i) {
    Response r = c.put("k" + std::to_string(i), "v" + std::to_string(i));
    ASSERT_EQ(r.status, Status::kOk) << r.error;
  }
  cluster.kill(*leader);
  for (int i = 20; i < 40; ++i) {
    Response r = c.put("k" + std::to_string(i), "v" + std::to_string(i));
    ASSERT_EQ(r.status, Status::kOk) << "write " << i << " after the leader died: " << r.error;
  }
  auto new_leader = cluster.wait_for_leader(10s);
  ASSERT_TRUE(new_leader);
  EXPECT_NE(*new_leader, *leader);
  for (int i = 0; i < 40; ++i) {
    Response r = c.get("k" + std::to_string(i));
    ASSERT_EQ(r.status, Status::kOk) << "k" << i << ": " << r.error;
    ASSERT_EQ(r.kvs.size(), 1u);
    EXPECT_EQ(r.kvs[0].value, "v" + std::to_string(i));
  }
}

TEST(Cluster, ARestartedFollowerCatchesUp) {
  LocalCluster cluster(3);
  cluster.start_all();
  auto leader = cluster.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  const std::size_t follower = *leader % 3 + 1;
  cluster.kill(follower);
  auto c = cluster.client();
  for (int i = 0; i < 50; ++i) ASSERT_EQ(c.put("key" + std::to_string(i), "x").status, Status::kOk);
  Response last = c.put("last", "written while the follower was down");
  ASSERT_EQ(last.status, Status::kOk);
  cluster.start(follower);
  auto local = cluster.client(follower, 1s);
  EXPECT_TRUE(LocalCluster::wait_until(
      [&] {
        Response r = local.get("last", /*serializable=*/true);
        return r.status == Status::kOk && r.revision >= last.revision;
      },
      10s))
      << cluster.log_tail(follower);
}

// The same (client id, seq) sent twice is applied once and answered twice with the first result.
TEST(Cluster, ARetriedWriteIsAppliedOnce) {
  LocalCluster cluster(3);
  cluster.start_all();
  auto leader = cluster.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  RawConnection raw(cluster.client_address(*leader));
  const Request put = first_put_of_session(0xC0FFEE, "once", "1");
  Response first = raw.call(put, 5s);
  ASSERT_EQ(first.status, Status::kOk) << first.error;
  Response again = raw.call(put, 5s);
  ASSERT_EQ(again.status, Status::kOk) << again.error;
  EXPECT_EQ(again.revision, first.revision) << "the retry was applied a second time";
  auto c = cluster.client();
  Response r = c.get("once");
  ASSERT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(r.kvs[0].version, 1) << "a retried put must not bump the version";
}

TEST(Cluster, AReadAfterAWriteSeesItOnEveryNode) {
  LocalCluster cluster(3);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_leader(10s));
  auto writer = cluster.client();
  for (int i = 0; i < 30; ++i) {
    const std::string value = "v" + std::to_string(i);
    ASSERT_EQ(writer.put("rw", value).status, Status::kOk);
    // Linearizable reads through each node (a follower redirects to the leader).
    for (std::size_t node = 1; node <= 3; ++node) {
      auto reader = cluster.client(node, 5s);
      Response r = reader.get("rw");
      ASSERT_EQ(r.status, Status::kOk) << "node " << node << ": " << r.error;
      ASSERT_EQ(r.kvs.size(), 1u);
      EXPECT_EQ(r.kvs[0].value, value) << "stale read through node " << node;
    }
  }
}

TEST(Cluster, CompareAndSwapAndScans) {
  LocalCluster cluster(3);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_leader(10s));
  auto c = cluster.client();
  Compare absent;
  absent.target = Compare::Target::kVersion;
  absent.number = 0;
  EXPECT_EQ(c.cas("lock", absent, "me").status, Status::kOk);
  EXPECT_EQ(c.cas("lock", absent, "you").status, Status::kCompareFailed);
  for (const char* k : {"app/a", "app/b", "app/c", "other"})
    ASSERT_EQ(c.put(k, k).status, Status::kOk);
  Response scan = c.scan_prefix("app/", 2);
  ASSERT_EQ(scan.status, Status::kOk);
  ASSERT_EQ(scan.kvs.size(), 2u);
  EXPECT_EQ(scan.kvs[0].key, "app/a");
  EXPECT_TRUE(scan.more);
  EXPECT_EQ(c.del("app/a").deleted, 1u);
  EXPECT_EQ(c.get("app/a").status, Status::kNotFound);
}

}  // namespace
}  // namespace paxoskv::testing

namespace paxoskv::testing {
namespace {

using namespace std::chrono_literals;

// Every acknowledged write is on disk: SIGKILL every node at once, restart, and read it all back.
TEST(Durability, AcknowledgedWritesSurviveKillingEveryNode) {
  LocalCluster cluster(3);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_leader(10s));
  {
    auto c = cluster.client();
    for (int i = 0; i < 100; ++i) {
      ASSERT_EQ(c.put("d" + std::to_string(i), std::to_string(i)).status, Status::kOk);
    }
  }
  for (std::size_t n = 1; n <= 3; ++n) cluster.kill(n);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_leader(10s)) << cluster.log_tail(1);
  auto c = cluster.client();
  for (int i = 0; i < 100; ++i) {
    Response r = c.get("d" + std::to_string(i));
    ASSERT_EQ(r.status, Status::kOk) << "d" << i << " lost: " << r.error;
    EXPECT_EQ(r.kvs.at(0).value, std::to_string(i));
  }
}

// A fresh client whose first requests are reads still gets an exactly-once session for its first
// write (the server creates sessions when it applies a write; found by the nemesis harness).
TEST(Cluster, AClientThatReadsBeforeItsFirstWriteCanWrite) {
  LocalCluster cluster(1);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_leader(10s));
  auto c = cluster.client();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.get("nothing").status, Status::kNotFound);
  Response r = c.put("k", "v");
  EXPECT_EQ(r.status, Status::kOk) << r.error;
  EXPECT_EQ(c.put("k", "w").status, Status::kOk);
}

// A second server on the same data directory refuses to start instead of corrupting it.
TEST(Durability, ASecondServerOnTheSameDataDirectoryRefusesToStart) {
  LocalCluster cluster(1);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_leader(10s));
  const std::string command = binary_dir() + "/paxoskv-server --config " + cluster.config_path(1) +
                              " --set network.peer_listen=127.0.0.1:1 --set "
                              "network.client_listen=127.0.0.1:2 > " +
                              cluster.dir() + "/second.log 2>&1";
  const int status = std::system(command.c_str());
  EXPECT_NE(status, 0);
  std::ifstream log(cluster.dir() + "/second.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("in use"), std::string::npos) << text;
}

}  // namespace
}  // namespace paxoskv::testing

namespace paxoskv::testing {
namespace {

using namespace std::chrono_literals;

// A follower that missed more than a frame's worth of log is still brought back: the resync
// (AcceptSync) carries its whole missing suffix, so peer frames must not be held to the client
// frame limit (here 64 KiB against a 2 MB resync).
TEST(Cluster, AFollowerFarBehindCatchesUpThroughALargeResync) {
  LocalCluster cluster(3, {{"network", {"max_frame_bytes = 65536", "peer_queue_bytes_max = 65536"}},
                           {"consensus", {"batch_bytes_max = 16384"}}});
  cluster.start_all();
  auto leader = cluster.wait_for_leader(10s);
  ASSERT_TRUE(leader) << cluster.log_tail(1);
  const std::size_t follower = *leader % 3 + 1;
  cluster.kill(follower);
  auto c = cluster.client();
  const std::string value(10 * 1024, 'v');
  Response last;
  for (int i = 0; i < 200; ++i) {
    last = c.put("big" + std::to_string(i), value);
    ASSERT_EQ(last.status, Status::kOk) << last.error;
  }
  cluster.start(follower);
  auto local = cluster.client(follower, 1s);
  EXPECT_TRUE(LocalCluster::wait_until(
      [&] {
        Response r = local.get("big199", /*serializable=*/true);
        return r.status == Status::kOk && r.revision >= last.revision;
      },
      20s))
      << cluster.log_tail(follower);
}

}  // namespace
}  // namespace paxoskv::testing

namespace paxoskv::testing {
namespace {

using namespace std::chrono_literals;

// SIGTERM stops a node promptly even while clients keep connections open.
TEST(Cluster, SigtermStopsANodeWithOpenClientConnections) {
  LocalCluster cluster(1);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_leader(10s));
  RawConnection idle1(cluster.client_address(1));
  RawConnection idle2(cluster.client_address(1));
  const auto start = std::chrono::steady_clock::now();
  cluster.stop(1);  // SIGTERM, then SIGKILL after 5 s
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "SIGTERM did not stop the node";
}

// A follower answers the writes it forwarded when the leader it followed changes
// (Node::fail_pending_writes): the forward may have died with the old leader, so the client hears
// kUnavailable as soon as the new leader is known instead of waiting out its timeout.
TEST(Cluster, WritesForwardedToALeaderThatIsReplacedAreAnsweredUnavailable) {
  LocalCluster cluster(3);
  cluster.start_all();
  auto leader = cluster.wait_for_leader(10s);
  ASSERT_TRUE(leader);
  const std::size_t follower = *leader % cluster.size() + 1;
  RawConnection raw(cluster.client_address(follower));
  // A stopped (not killed) leader keeps its connections open: the forwarded write just waits there
  // until the others elect a new leader.
  ASSERT_EQ(::kill(cluster.pid(*leader), SIGSTOP), 0);
  Request put = first_put_of_session(0xF00D, "forwarded", "1");
  put.timeout_ms = 5000;  // the server's default limit
  const auto start = std::chrono::steady_clock::now();
  Response r = raw.call(put, 10s);
  const auto waited = std::chrono::steady_clock::now() - start;
  ::kill(cluster.pid(*leader), SIGCONT);
  EXPECT_EQ(r.status, Status::kUnavailable) << r.error;
  EXPECT_NE(r.error.find("may or may not take effect"), std::string::npos) << r.error;
  EXPECT_LT(waited, 4s) << "answered only at the request deadline";
  // The same write, retried with the same sequence number, goes through once.
  auto new_leader = cluster.wait_for_leader(10s);
  ASSERT_TRUE(new_leader);
  EXPECT_NE(*new_leader, *leader);
  RawConnection retry(cluster.client_address(*new_leader));
  Response again = retry.call(put, 5s);
  EXPECT_EQ(again.status, Status::kOk) << again.error;
}

}  // namespace
}  // namespace paxoskv::testing
