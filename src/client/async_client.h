// paxoskv asynchronous client.
//
//   asio::io_context io;
//   paxoskv::client::AsyncClient kv(io, {.endpoints = {"10.0.0.1:7101", "10.0.0.2:7101"}});
//   kv.put("k", "v", false, [](paxoskv::Response r) { ... r.status ... });
//   io.run();
//
// Threading: an AsyncClient belongs to one io_context and must only be used from the thread(s)
// running it, one at a time (no internal locking). Callbacks run on that io_context and are never
// invoked from inside the call that started the request.
//
// Delivery semantics. Every request gets client_id (fixed per AsyncClient) and a fresh seq
// (1, 2, 3, ...) when it is sent, plus first_unacked_seq = the lowest seq still outstanding, which
// lets the server forget cached answers below it. The client retries a request -- always with the
// SAME client_id and seq, so the server's exactly-once session applies a write at most once --
// after:
//   * a lost / refused / timed-out connection (it then moves to the next endpoint),
//   * kNotLeader (it follows leader_address, or rotates through the endpoints when there is none),
//   * kUnavailable, kBusy, or a server-side kTimeout (with jittered exponential backoff),
//   * no answer within attempt_timeout.
// until request_timeout has passed since send(); then the callback gets Status::kTimeout with an
// error saying the outcome is unknown (a write may or may not have been applied). kOk, kNotFound,
// kCompareFailed, kBadRequest, kSessionExpired and kInternal are final and delivered as they come.
// Exactly one callback per request, except that destroying the client drops outstanding requests
// without calling them.
//
// Routing: one connection at a time, to the current target node (endpoints[0] at first, then
// whichever node was last named leader or answered), with every outstanding request pipelined on
// it; responses may arrive in any order and are matched by seq. With ClientOptions::find_leader,
// every new connection first asks its node whether it leads and moves to the leader it names, so
// requests skip the follower's forwarding hop and the leader's death shows at once as a closed
// connection.
//
// Failover: a connection that breaks (refused, reset, closed: a SIGKILLed server) sends its
// requests at once to the next endpoint that has not failed recently; only when every endpoint
// has, or a node answers kUnavailable / kBusy / a server-side kTimeout, does a request wait, with
// a short jittered backoff (2 ms doubling, at most 64 ms). A leader hint naming a node whose
// connection just failed is not followed (it is the dead leader, named by a node that has not
// noticed yet); the client asks again a few ms later instead.
//
// Cost: one timer per client (not per request), armed at the earliest attempt/backoff deadline
// and swept when it fires; requests are encoded straight into the connection's output buffer and
// everything queued in one event-loop turn leaves in one write; outstanding requests live in a
// flat window indexed by seq.
#pragma once

// Some standard header must come before <asio.hpp>: asio 1.22 chooses aligned_alloc/free or
// operator new/delete from a libstdc++ macro, so a translation unit that includes asio first
// pairs one allocator with the other's deallocator across TUs (ASan: alloc-dealloc-mismatch).
// clang-format off
#include <cstddef>
#include <asio.hpp>
// clang-format on

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/requests.h"
#include "common/protocol.h"

namespace paxoskv::client {

struct ClientOptions {
  // "host:port" of the nodes' client ports; at least one. Order matters only for the first
  // contact and for rotation when no leader is known.
  std::vector<std::string> endpoints;
  // Total time budget of one request, retries included, counted from send().
  std::chrono::milliseconds request_timeout{5000};
  // How long one attempt (connect included) may go unanswered before it is retried.
  std::chrono::milliseconds attempt_timeout{1000};
  // Exactly-once session id; 0 = pick a random 64-bit id (std::random_device). Two live clients
  // must never share an id, so set it only to resume a known session.
  std::uint64_t client_id = 0;
  // Largest response body accepted; a bigger frame is a protocol error that drops the connection.
  std::size_t max_frame_bytes = std::size_t{16} << 20;
  // Ask every newly connected node whether it leads, with a linearizable read of one key outside
  // any exactly-once session (a follower answers kNotLeader with the leader's address, the leader
  // serves it), and move to the leader: requests skip the follower's forwarding hop, and the
  // leader's death shows at once as a closed connection instead of as a forwarded write that is
  // never answered (a follower drops what it forwarded to a leader that died). Off by default
  // because it sends everything to the leader, including what is meant for the node named in
  // `endpoints` (kStatus and kFault sent with send(), serializable reads of a follower's state);
  // turn it on for request traffic (the bench driver does).
  bool find_leader = false;
};

class AsyncClient {
 public:
  using Callback = std::function<void(Response)>;

  // Throws std::invalid_argument if options.endpoints is empty or holds a malformed endpoint.
  AsyncClient(asio::io_context& io, ClientOptions options);
  // Closes the connection and drops outstanding requests (their callbacks are not invoked).
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Sends `request` (client_id, seq and first_unacked_seq are overwritten; timeout_ms, if 0, is set
  // to the time left before the deadline on every attempt) and calls `done` exactly once with the
  // final Response. The Response's seq is the one assigned here.
  void send(Request request, Callback done);

  void put(std::string key, std::string value, bool prev_kv, Callback done);
  void get(std::string key, bool serializable, Callback done);
  void del(std::string key, bool prev_kv, Callback done);
  // Deletes [key, range_end); range_end "\0" = every key >= key.
  void delete_range(std::string key, std::string range_end, bool prev_kv, Callback done);
  void cas(std::string key, Compare compare, std::string new_value, Callback done);
  void range(std::string key, std::string range_end, std::uint64_t limit, bool serializable,
             Callback done);
  void scan_prefix(const std::string& prefix, std::uint64_t limit, bool serializable,
                   Callback done);

  // Op::kStatus to exactly `endpoint` (which need not be one of options.endpoints) on a
  // connection of its own, without redirects or retries: a node that cannot be reached answers
  // kUnavailable with the reason in `error`, one that stays silent until request_timeout answers
  // kTimeout. Sent without an exactly-once session (client_id 0), so it does not touch seq.
  void status(const std::string& endpoint, Callback done);

  std::uint64_t client_id() const;
  // The node requests currently go to (the last known leader, once one is known).
  const std::string& current_endpoint() const;
  // Requests sent and not yet completed.
  std::size_t outstanding() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace paxoskv::client
