// AsyncClient / Client against the in-process FakeServer. Every wait is bounded by run_until's
// deadline; nothing sleeps.
#include "client/async_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "client/client.h"
#include "fake_server.h"

namespace paxoskv::client {
namespace {

using namespace std::chrono_literals;
using testing::FakeConn;
using testing::FakeServer;
using testing::ok_for;

// Runs `io` until `done()` holds or `limit` passes; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    if (io.run_one_for(deadline - now) == 0 && io.stopped()) break;
  }
  return done();
}

ClientOptions options_for(std::vector<std::string> endpoints,
                          std::chrono::milliseconds request_timeout = 5000ms,
                          std::chrono::milliseconds attempt_timeout = 1000ms) {
  ClientOptions o;
  o.endpoints = std::move(endpoints);
  o.request_timeout = request_timeout;
  o.attempt_timeout = attempt_timeout;
  // These tests count exactly the requests they send; leader probes have tests of their own.
  o.find_leader = false;  // the default, spelled out
  return o;
}

// A leader probe (ClientOptions::find_leader).
bool is_probe(const Request& r) {
  return r.client_id == 0 && r.op == Op::kGet && (r.seq >> 63) == 1;
}

Response not_leader_for(const Request& r, const std::string& leader_address) {
  Response resp;
  resp.seq = r.seq;
  resp.status = Status::kNotLeader;
  resp.leader_hint = 9;
  resp.leader_address = leader_address;
  return resp;
}

TEST(AsyncClient, PipelinesRequestsAndMatchesOutOfOrderResponses) {
  asio::io_context io;
  FakeServer server(io);
  std::vector<std::pair<std::shared_ptr<FakeConn>, Request>> held;
  // Answer nothing until all five are in, then answer in reverse: only a pipelining client that
  // matches responses by seq can pass.
  server.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    held.emplace_back(conn, r);
    if (held.size() < 5) return;
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      Response resp = ok_for(it->second);
      resp.kvs.push_back(KeyValue{it->second.key, "value-of-" + it->second.key, 1, 1, 1});
      it->first->reply(resp);
    }
  });
  AsyncClient client(io, options_for({server.address()}));
  std::map<int, Response> results;
  std::vector<std::uint64_t> completion_order;
  for (int i = 0; i < 5; ++i) {
    client.get("k" + std::to_string(i), false, [&, i](Response r) {
      completion_order.push_back(r.seq);
      results[i] = std::move(r);
    });
  }
  EXPECT_EQ(client.outstanding(), 5u);
  ASSERT_TRUE(run_until(io, [&] { return results.size() == 5; }));
  for (int i = 0; i < 5; ++i) {
    const Response& r = results[i];
    EXPECT_EQ(r.status, Status::kOk);
    EXPECT_EQ(r.seq, static_cast<std::uint64_t>(i + 1));
    ASSERT_EQ(r.kvs.size(), 1u);
    EXPECT_EQ(r.kvs[0].value, "value-of-k" + std::to_string(i));
  }
  EXPECT_EQ(completion_order, (std::vector<std::uint64_t>{5, 4, 3, 2, 1}));
  EXPECT_EQ(server.connections_accepted(), 1u);
  EXPECT_EQ(server.requests().size(), 5u);
  for (const Request& r : server.requests()) EXPECT_EQ(r.client_id, client.client_id());
  EXPECT_EQ(server.protocol_errors(), 0u);
}

TEST(AsyncClient, FollowsNotLeaderRedirect) {
  asio::io_context io;
  FakeServer follower(io);
  FakeServer leader(io);
  follower.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    conn->reply(not_leader_for(r, leader.address()));
  });
  AsyncClient client(io, options_for({follower.address()}));
  std::optional<Response> result;
  client.get("k", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, Status::kOk);
  ASSERT_EQ(follower.requests().size(), 1u);
  ASSERT_EQ(leader.requests().size(), 1u);
  EXPECT_EQ(leader.requests()[0].seq, follower.requests()[0].seq);
  EXPECT_EQ(leader.requests()[0].client_id, follower.requests()[0].client_id);
  EXPECT_EQ(client.current_endpoint(), leader.address());

  // The leader is remembered: the next request goes straight there.
  result.reset();
  client.put("k", "v", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, Status::kOk);
  EXPECT_EQ(follower.requests().size(), 1u);
  EXPECT_EQ(leader.requests().size(), 2u);
}

TEST(AsyncClient, NotLeaderWithoutHintRotatesEndpoints) {
  asio::io_context io;
  FakeServer a(io);
  FakeServer b(io);
  a.set_handler([](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    Response resp;
    resp.seq = r.seq;
    resp.status = Status::kNotLeader;  // no leader known
    conn->reply(resp);
  });
  AsyncClient client(io, options_for({a.address(), b.address()}));
  std::optional<Response> result;
  client.get("k", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, Status::kOk);
  ASSERT_EQ(b.requests().size(), 1u);
  EXPECT_EQ(b.requests()[0].seq, 1u);
}

TEST(AsyncClient, RetryAfterDroppedConnectionKeepsSeq) {
  asio::io_context io;
  FakeServer server(io);
  int seen = 0;
  // The first copy is "lost" with the connection; the retry is answered.
  server.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    if (++seen == 1) {
      conn->close();
    } else {
      conn->reply(ok_for(r));
    }
  });
  AsyncClient client(io, options_for({server.address()}));
  std::optional<Response> result;
  client.put("k", "v", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, Status::kOk);
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.connections_accepted(), 2u);
  for (const Request& r : server.requests()) {
    EXPECT_EQ(r.seq, 1u);
    EXPECT_EQ(r.client_id, client.client_id());
    EXPECT_EQ(r.op, Op::kPut);
  }
}

TEST(AsyncClient, DroppedConnectionMovesToNextEndpointWithSameSeq) {
  asio::io_context io;
  FakeServer a(io);
  FakeServer b(io);
  a.set_handler([](const std::shared_ptr<FakeConn>& conn, const Request&) { conn->close(); });
  AsyncClient client(io, options_for({a.address(), b.address()}));
  std::optional<Response> result;
  client.put("k", "v", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, Status::kOk);
  ASSERT_EQ(a.requests().size(), 1u);
  ASSERT_EQ(b.requests().size(), 1u);
  EXPECT_EQ(a.requests()[0].seq, b.requests()[0].seq);
}

TEST(AsyncClient, UnreachableEndpointIsSkipped) {
  asio::io_context io;
  FakeServer server(io);
  AsyncClient client(io, options_for({testing::refused_endpoint(), server.address()}));
  std::optional<Response> result;
  client.get("k", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, Status::kOk);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(AsyncClient, RetriesUnavailableAndBusyThenSucceeds) {
  asio::io_context io;
  FakeServer server(io);
  int seen = 0;
  server.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    Response resp = ok_for(r);
    if (seen == 0) resp.status = Status::kUnavailable;
    if (seen == 1) resp.status = Status::kBusy;
    ++seen;
    conn->reply(resp);
  });
  AsyncClient client(io, options_for({server.address()}));
  std::optional<Response> result;
  client.put("k", "v", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, Status::kOk);
  ASSERT_EQ(server.requests().size(), 3u);
  for (const Request& r : server.requests()) EXPECT_EQ(r.seq, 1u);
  EXPECT_EQ(server.connections_accepted(), 1u);  // answers, even "busy", keep the connection
}

TEST(AsyncClient, FinalStatusesAreNotRetried) {
  asio::io_context io;
  FakeServer server(io);
  server.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    Response resp = ok_for(r);
    resp.status = r.op == Op::kCas ? Status::kCompareFailed : Status::kBadRequest;
    resp.error = "nope";
    conn->reply(resp);
  });
  AsyncClient client(io, options_for({server.address()}));
  std::vector<Response> results;
  client.cas("k", compare_absent(), "v", [&](Response r) { results.push_back(std::move(r)); });
  client.put("", "v", false, [&](Response r) { results.push_back(std::move(r)); });
  ASSERT_TRUE(run_until(io, [&] { return results.size() == 2; }));
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(results[0].status, Status::kCompareFailed);
  EXPECT_EQ(results[1].status, Status::kBadRequest);
  EXPECT_EQ(results[1].error, "nope");
}

TEST(AsyncClient, DeadlineEndsInTimeoutWithSameSeqOnEveryAttempt) {
  asio::io_context io;
  FakeServer server(io);
  server.set_handler([](const std::shared_ptr<FakeConn>&, const Request&) {});  // black hole
  AsyncClient client(io, options_for({server.address()}, 300ms, 80ms));
  std::optional<Response> result;
  const auto start = std::chrono::steady_clock::now();
  client.put("k", "v", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(
      io, [&] { return result.has_value(); }, 3000ms));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result->status, Status::kTimeout);
  EXPECT_NE(result->error.find("unknown"), std::string::npos) << result->error;
  EXPECT_EQ(result->seq, 1u);
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 2000ms);
  ASSERT_GE(server.requests().size(), 2u);  // attempts timed out and were retried
  for (const Request& r : server.requests()) EXPECT_EQ(r.seq, 1u);
  EXPECT_EQ(client.outstanding(), 0u);
}

TEST(AsyncClient, SlowButLiveNodeGetsResendOnSameConnection) {
  asio::io_context io;
  FakeServer server(io);
  int copies_of_first = 0;
  // Seq 1's first copy goes unanswered; everything else is answered at once, so the connection
  // is visibly alive when seq 1's attempt times out.
  server.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    if (r.seq == 1 && ++copies_of_first == 1) return;
    conn->reply(ok_for(r));
  });
  AsyncClient client(io, options_for({server.address()}, 3000ms, 100ms));
  std::vector<Response> results;
  client.put("a", "1", false, [&](Response r) { results.push_back(std::move(r)); });
  client.put("b", "2", false, [&](Response r) { results.push_back(std::move(r)); });
  ASSERT_TRUE(run_until(io, [&] { return results.size() == 2; }));
  EXPECT_EQ(results[0].seq, 2u);
  EXPECT_EQ(results[1].seq, 1u);
  EXPECT_EQ(results[1].status, Status::kOk);
  EXPECT_EQ(copies_of_first, 2);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(AsyncClient, FirstUnackedSeqAdvancesPastCompletedRequests) {
  asio::io_context io;
  FakeServer server(io);
  std::map<std::uint64_t, std::pair<std::shared_ptr<FakeConn>, Request>> held;
  server.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    held[r.seq] = {conn, r};
  });
  AsyncClient client(io, options_for({server.address()}));
  std::map<std::uint64_t, Response> done;
  auto cb = [&](Response r) { done[r.seq] = std::move(r); };
  auto answer = [&](std::uint64_t seq) { held[seq].first->reply(ok_for(held[seq].second)); };

  client.put("a", "1", false, cb);
  client.put("b", "2", false, cb);
  client.put("c", "3", false, cb);
  ASSERT_TRUE(run_until(io, [&] { return held.size() == 3; }));
  for (std::uint64_t s = 1; s <= 3; ++s) EXPECT_EQ(held[s].second.first_unacked_seq, 1u);

  answer(1);
  answer(3);  // out of order: 2 still outstanding holds first_unacked at 2
  ASSERT_TRUE(run_until(io, [&] { return done.size() == 2; }));
  client.put("d", "4", false, cb);
  ASSERT_TRUE(run_until(io, [&] { return held.size() == 4; }));
  EXPECT_EQ(held[4].second.first_unacked_seq, 2u);

  answer(2);
  ASSERT_TRUE(run_until(io, [&] { return done.size() == 3; }));
  client.put("e", "5", false, cb);
  ASSERT_TRUE(run_until(io, [&] { return held.size() == 5; }));
  EXPECT_EQ(held[5].second.first_unacked_seq, 4u);

  answer(4);
  answer(5);
  ASSERT_TRUE(run_until(io, [&] { return done.size() == 5; }));
  client.put("f", "6", false, cb);
  ASSERT_TRUE(run_until(io, [&] { return held.size() == 6; }));
  EXPECT_EQ(held[6].second.first_unacked_seq, 6u);
}

TEST(AsyncClient, GarbageFromServerDropsConnectionAndRetries) {
  asio::io_context io;
  FakeServer server(io);
  int seen = 0;
  server.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    if (++seen == 1) {
      conn->write_raw(std::string(32, 'x'));  // not a frame header
    } else {
      conn->reply(ok_for(r));
    }
  });
  AsyncClient client(io, options_for({server.address()}));
  std::optional<Response> result;
  client.get("k", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, Status::kOk);
  EXPECT_EQ(server.connections_accepted(), 2u);
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.requests()[1].seq, server.requests()[0].seq);
}

TEST(AsyncClient, StatusGoesToTheNamedEndpointOnly) {
  asio::io_context io;
  FakeServer follower(io);
  FakeServer leader(io);
  follower.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    EXPECT_EQ(r.op, Op::kStatus);
    Response resp = ok_for(r);
    resp.node = NodeStatus{};
    resp.node->node_id = 7;
    resp.node->role = "follower";
    conn->reply(resp);
  });
  AsyncClient client(io, options_for({leader.address()}));
  std::optional<Response> ok;
  std::optional<Response> refused;
  client.status(follower.address(), [&](Response r) { ok = std::move(r); });
  client.status(testing::refused_endpoint(), [&](Response r) { refused = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return ok && refused; }));
  EXPECT_EQ(ok->status, Status::kOk);
  ASSERT_TRUE(ok->node.has_value());
  EXPECT_EQ(ok->node->node_id, 7u);
  EXPECT_EQ(refused->status, Status::kUnavailable);
  EXPECT_FALSE(refused->error.empty());
  EXPECT_EQ(leader.requests().size(), 0u);
  EXPECT_EQ(client.outstanding(), 0u);
}

TEST(AsyncClient, RejectsBadEndpoints) {
  asio::io_context io;
  EXPECT_THROW(AsyncClient(io, options_for({})), std::invalid_argument);
  EXPECT_THROW(AsyncClient(io, options_for({"no-port"})), std::invalid_argument);
  EXPECT_THROW(AsyncClient(io, options_for({"h:99999"})), std::invalid_argument);
}

TEST(AsyncClient, DestroyingTheClientInsideACallbackIsSafe) {
  asio::io_context io;
  FakeServer server(io);
  auto client = std::make_unique<AsyncClient>(io, options_for({server.address()}));
  int calls = 0;
  client->get("a", false, [&](Response) {
    ++calls;
    client.reset();  // drops the second request without calling it
  });
  client->get("b", false, [&](Response) { ++calls; });
  ASSERT_TRUE(run_until(io, [&] { return client == nullptr; }));
  io.restart();
  io.run_for(50ms);  // let the aborted handlers drain
  EXPECT_EQ(calls, 1);
}

// ---- failover, the shared timer, the request window ----

TEST(AsyncClient, RequestsOnADeadConnectionGoElsewhereAtOnceAndCompleteOnce) {
  asio::io_context io;
  FakeServer a(io);
  FakeServer b(io);
  // `a` dies like a SIGKILLed leader: its connection closes with requests in flight.
  a.set_handler([](const std::shared_ptr<FakeConn>& conn, const Request&) { conn->close(); });
  // An attempt timeout far beyond the run_until limit: only an immediate retry can pass.
  AsyncClient client(io, options_for({a.address(), b.address()}, 20000ms, 10000ms));
  std::map<std::uint64_t, int> calls;
  std::vector<Response> results;
  for (int i = 0; i < 10; ++i) {
    client.put("k" + std::to_string(i), "v", false, [&](Response r) {
      ++calls[r.seq];
      results.push_back(std::move(r));
    });
  }
  ASSERT_TRUE(run_until(
      io, [&] { return results.size() == 10; }, 3000ms));
  for (const Response& r : results) EXPECT_EQ(r.status, Status::kOk);
  ASSERT_EQ(calls.size(), 10u);
  for (const auto& [seq, n] : calls) EXPECT_EQ(n, 1) << "seq " << seq;
  // `b` saw every seq exactly once, each with the one client id.
  std::map<std::uint64_t, int> at_b;
  for (const Request& r : b.requests()) {
    ++at_b[r.seq];
    EXPECT_EQ(r.client_id, client.client_id());
  }
  ASSERT_EQ(at_b.size(), 10u);
  for (const auto& [seq, n] : at_b) EXPECT_EQ(n, 1) << "seq " << seq;
  EXPECT_EQ(client.current_endpoint(), b.address());
  // Let stray handlers of the dead connection run: nothing completes twice.
  io.restart();
  io.run_for(20ms);
  EXPECT_EQ(results.size(), 10u);
  EXPECT_EQ(client.outstanding(), 0u);
}

TEST(AsyncClient, SharedTimerTimesOutEveryUnansweredRequestOnce) {
  asio::io_context io;
  FakeServer server(io);
  // Even seqs are answered, odd ones never are.
  server.set_handler([](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    if (r.seq % 2 == 0) conn->reply(ok_for(r));
  });
  AsyncClient client(io, options_for({server.address()}, 300ms, 60ms));
  std::map<std::uint64_t, std::vector<Status>> got;
  std::size_t done = 0;
  for (int i = 0; i < 20; ++i) {
    client.get("k", false, [&](Response r) {
      got[r.seq].push_back(r.status);
      ++done;
    });
  }
  ASSERT_TRUE(run_until(
      io, [&] { return done == 20; }, 3000ms));
  ASSERT_EQ(got.size(), 20u);
  for (const auto& [seq, statuses] : got) {
    ASSERT_EQ(statuses.size(), 1u) << "seq " << seq;
    EXPECT_EQ(statuses[0], seq % 2 == 0 ? Status::kOk : Status::kTimeout) << "seq " << seq;
  }
  EXPECT_EQ(client.outstanding(), 0u);
  io.restart();
  io.run_for(100ms);  // the timer may fire once more: it must find nothing to do
  EXPECT_EQ(done, 20u);
}

TEST(AsyncClient, ManyRequestsAnsweredInAnyOrderCompleteOnceEach) {
  asio::io_context io;
  FakeServer server(io);
  constexpr int kRequests = 700;  // beyond every ring size the window starts with
  std::vector<std::pair<std::shared_ptr<FakeConn>, Request>> held;
  server.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    held.emplace_back(conn, r);
    if (held.size() < kRequests) return;
    // A fixed permutation (3 is coprime to 700): stride 3 through the slots, seq 1 last.
    for (int i = 1; i <= kRequests; ++i) {
      const auto& [c, req] = held[static_cast<std::size_t>((i * 3) % kRequests)];
      Response resp = ok_for(req);
      resp.kvs.push_back(KeyValue{req.key, req.key, 1, 1, 1});
      c->reply(resp);
    }
  });
  AsyncClient client(io, options_for({server.address()}));
  std::map<std::uint64_t, int> calls;
  std::size_t done = 0;
  for (int i = 0; i < kRequests; ++i) {
    const std::string key = "k" + std::to_string(i);
    client.get(key, false, [&, key, i](Response r) {
      ++calls[r.seq];
      ++done;
      EXPECT_EQ(r.seq, static_cast<std::uint64_t>(i + 1));
      ASSERT_EQ(r.kvs.size(), 1u) << status_name(r.status) << " " << r.error;
      EXPECT_EQ(r.kvs[0].value, key);
    });
  }
  ASSERT_TRUE(run_until(io, [&] { return done == kRequests; }));
  EXPECT_EQ(server.requests().size(), static_cast<std::size_t>(kRequests));
  EXPECT_EQ(calls.size(), static_cast<std::size_t>(kRequests));
  for (const auto& [seq, n] : calls) EXPECT_EQ(n, 1) << "seq " << seq;
  // The window is empty again: the next request claims every earlier one answered (no write was
  // applied yet, so first_unacked stays 1 for the server's sake; see first_unacked()).
  EXPECT_EQ(client.outstanding(), 0u);
}

TEST(AsyncClient, LeaderProbeMovesRequestsToTheLeader) {
  asio::io_context io;
  FakeServer follower(io);
  FakeServer leader(io);
  // The follower names the leader to probes and sits on writes (as if forwarding them).
  follower.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    if (is_probe(r)) conn->reply(not_leader_for(r, leader.address()));
  });
  ClientOptions options = options_for({follower.address()}, 5000ms, 5000ms);
  options.find_leader = true;
  AsyncClient client(io, options);
  std::optional<Response> result;
  client.put("k", "v", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(
      io, [&] { return result.has_value(); }, 3000ms));
  EXPECT_EQ(result->status, Status::kOk);
  EXPECT_EQ(client.current_endpoint(), leader.address());
  // The probe is a read outside any session, with a seq no request can have.
  ASSERT_GE(follower.requests().size(), 1u);
  EXPECT_TRUE(is_probe(follower.requests()[0]));
  // The leader got a probe of its own and the write, with the seq the follower saw.
  std::vector<Request> writes;
  for (const Request& r : leader.requests()) {
    if (!is_probe(r)) writes.push_back(r);
  }
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].seq, 1u);
  EXPECT_EQ(writes[0].client_id, client.client_id());
  EXPECT_EQ(leader.requests().size(), 2u);

  // Later requests go straight to the leader.
  result.reset();
  const std::size_t at_follower = follower.requests().size();
  client.put("k2", "v", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(
      io, [&] { return result.has_value(); }, 3000ms));
  EXPECT_EQ(result->status, Status::kOk);
  EXPECT_EQ(follower.requests().size(), at_follower);
}

TEST(AsyncClient, HintNamingANodeThatJustFailedIsNotFollowed) {
  asio::io_context io;
  FakeServer survivor(io);
  const std::string dead = testing::refused_endpoint();
  int probes = 0;
  int copies = 0;
  // The survivor first still follows the dead leader (names it, and the write it forwarded there
  // is lost); asked again, it leads and answers the write's second copy.
  survivor.set_handler([&](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    if (is_probe(r)) {
      conn->reply(++probes == 1 ? not_leader_for(r, dead) : ok_for(r));
      return;
    }
    if (++copies >= 2) conn->reply(ok_for(r));
  });
  ClientOptions options = options_for({dead, survivor.address()}, 20000ms, 10000ms);
  options.find_leader = true;
  AsyncClient client(io, options);
  std::optional<Response> result;
  client.put("k", "v", false, [&](Response r) { result = std::move(r); });
  ASSERT_TRUE(run_until(
      io, [&] { return result.has_value(); }, 3000ms));
  EXPECT_EQ(result->status, Status::kOk);
  EXPECT_EQ(client.current_endpoint(), survivor.address());
  EXPECT_GE(probes, 2);
  EXPECT_EQ(copies, 2);
  for (const Request& r : survivor.requests()) {
    if (!is_probe(r)) {
      EXPECT_EQ(r.seq, 1u);
    }
  }
}

TEST(Client, BlockingCallsAgainstServerOnAnotherThread) {
  asio::io_context server_io;
  FakeServer server(server_io);
  server.set_handler([](const std::shared_ptr<FakeConn>& conn, const Request& r) {
    Response resp = ok_for(r);
    if (r.op == Op::kGet) resp.kvs.push_back(KeyValue{r.key, "hello", 1, 1, 1});
    conn->reply(resp);
  });
  auto guard = asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });
  {
    Client client(options_for({server.address()}));
    EXPECT_EQ(client.put("k", "hello").status, Status::kOk);
    Response got = client.get("k");
    EXPECT_EQ(got.status, Status::kOk);
    ASSERT_EQ(got.kvs.size(), 1u);
    EXPECT_EQ(got.kvs[0].value, "hello");
    EXPECT_EQ(got.seq, 2u);
    auto statuses = client.status_all({server.address(), testing::refused_endpoint()});
    ASSERT_EQ(statuses.size(), 2u);
    EXPECT_EQ(statuses[0].status, Status::kOk);
    EXPECT_EQ(statuses[1].status, Status::kUnavailable);
  }
  guard.reset();
  server_io.stop();
  server_thread.join();
}

}  // namespace
}  // namespace paxoskv::client
