// What clients send can never crash a server or grow its memory without bound: bad frames close
// that one connection, bad requests get an error, and everyone else keeps being served.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <random>

#include "local_cluster.h"
#include "raw_connection.h"

namespace paxoskv::testing {
namespace {

using namespace std::chrono_literals;

std::size_t rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

std::string header(std::uint8_t kind, std::uint32_t length) {
  std::string h = {'\x50', '\x58', '\x4b', '\x56', '\x01', static_cast<char>(kind), 0, 0};
  for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<char>(length >> shift));
  return h;
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.start_all();
    auto leader = cluster_.wait_for_leader(10s);
    ASSERT_TRUE(leader) << cluster_.log_tail(1);
    leader_ = *leader;
  }
  // The server still answers a well-behaved client.
  void expect_serving() {
    auto c = cluster_.client(leader_, 5s);
    Response r = c.put("health", "ok");
    EXPECT_EQ(r.status, Status::kOk) << r.error;
    EXPECT_TRUE(cluster_.running(leader_));
    EXPECT_EQ(::kill(cluster_.pid(leader_), 0), 0) << "the server died";
  }

  LocalCluster cluster_{1,
                        {{"network",
                          {"max_frame_bytes = 1048576", "client_queue_bytes_max = 65536",
                           "max_client_connections = 200", "client_idle_timeout_ms = 1000",
                           "peer_queue_bytes_max = 1048576"}},
                         {"consensus", {"batch_bytes_max = 524288"}}}};
  std::size_t leader_ = 1;
};

TEST_F(BadInput, RandomBytesCloseOnlyThatConnection) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    RawConnection raw(cluster_.client_address(leader_));
    std::string junk(1 + rng() % 4096, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    raw.send_bytes(junk);
    raw.closed_by_server(200ms);
  }
  expect_serving();
}

TEST_F(BadInput, AnOversizedLengthIsRefusedBeforeAllocating) {
  const std::size_t before = rss_kib(cluster_.pid(leader_));
  for (int i = 0; i < 20; ++i) {
    RawConnection raw(cluster_.client_address(leader_));
    raw.send_bytes(header(3, 0xfffffff0u));  // a client request claiming ~4 GiB
    EXPECT_TRUE(raw.closed_by_server(2s));
  }
  EXPECT_LT(rss_kib(cluster_.pid(leader_)), before + 64 * 1024) << "memory grew by the claimed size";
  expect_serving();
}

TEST_F(BadInput, ATruncatedFrameThenHangUpIsHarmless) {
  {
    RawConnection raw(cluster_.client_address(leader_));
    raw.send_bytes(header(3, 100) + std::string(10, 'x'));
  }
  expect_serving();
}

TEST_F(BadInput, AnUnknownFrameKindClosesTheConnection) {
  RawConnection raw(cluster_.client_address(leader_));
  raw.send_bytes(header(99, 0));
  EXPECT_TRUE(raw.closed_by_server(2s));
  RawConnection peer_frame_on_client_port(cluster_.client_address(leader_));
  peer_frame_on_client_port.send_bytes(header(2, 0));
  EXPECT_TRUE(peer_frame_on_client_port.closed_by_server(2s));
  expect_serving();
}

TEST_F(BadInput, AnUndecodableOrUnknownRequestGetsBadRequestAndTheConnectionStays) {
  RawConnection raw(cluster_.client_address(leader_));
  raw.send_bytes(header(3, 5) + "hello");
  auto r = raw.read_response(2s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, Status::kBadRequest);
  // An unknown operation, encoded by hand: a valid request whose op byte is out of range.
  Request req;
  req.client_id = 1;
  req.seq = 9;
  req.op = Op::kPut;
  req.key = "k";
  std::string body = encode(req);
  // Find the op byte after the three u64 fields (client_id, seq, first_unacked_seq).
  body[24] = static_cast<char>(0x7f);
  raw.send_bytes(header(3, static_cast<std::uint32_t>(body.size())) + body);
  r = raw.read_response(2s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, Status::kBadRequest);
  // The same connection still works.
  req.seq = 10;
  EXPECT_EQ(raw.call(req, 5s).status, Status::kOk);
}

TEST_F(BadInput, AClientThatNeverReadsIsDisconnectedAndMemoryStaysBounded) {
  auto c = cluster_.client(leader_, 5s);
  ASSERT_EQ(c.put("big", std::string(200 * 1024, 'b')).status, Status::kOk);
  const std::size_t before = rss_kib(cluster_.pid(leader_));
  RawConnection greedy(cluster_.client_address(leader_));
  Request get;
  get.op = Op::kGet;
  get.key = "big";
  get.serializable = true;
  std::string frames;
  for (std::uint64_t seq = 1; seq <= 2000; ++seq) {  // 400 MB of answers if it kept them all
    get.seq = seq;
    append_frame(frames, get);
  }
  try {
    greedy.send_bytes(frames);
  } catch (const std::exception&) {
    // The server may close us while we are still sending: that is the point.
  }
  std::size_t drained = 0;
  EXPECT_TRUE(greedy.closed_by_server(10s, &drained));
  // What was in flight (kernel buffers plus the queue limit), nowhere near the 400 MB asked for.
  EXPECT_LT(drained, 32u << 20);
  EXPECT_LT(rss_kib(cluster_.pid(leader_)), before + 128 * 1024);
  expect_serving();
}

TEST_F(BadInput, IdleConnectionsBeyondTheLimitDoNotLockOutClientsForLong) {
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 300; ++i) {  // over max_client_connections = 200
    idle.push_back(std::make_unique<RawConnection>(cluster_.client_address(leader_)));
  }
  // The idle timeout (1 s) frees the slots; a healthy client gets in within a few seconds.
  auto c = cluster_.client(leader_, 10s);
  Response r = c.put("after-idle", "ok");
  EXPECT_EQ(r.status, Status::kOk) << r.error;
}

}  // namespace
}  // namespace paxoskv::testing
