#include "client/async_client.h"

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>
#include <utility>

#include "client/connection.h"

namespace paxoskv::client {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Backoff after a retryable failure: 10 ms doubling per consecutive failure, capped (at most the
// attempt timeout) so that a client waiting out a leader election polls a few times per second.
constexpr milliseconds kBaseBackoff{10};
constexpr milliseconds kMaxBackoff{250};
// Redirects followed at once before backoff applies: enough for a stale hint or two, but two nodes
// that name each other during an election must not make us spin.
constexpr int kImmediateRedirects = 3;

bool is_final(Status s) {
  switch (s) {
    case Status::kNotLeader:
    case Status::kUnavailable:
    case Status::kBusy:
    case Status::kTimeout:  // server-side timeout: retrying the same seq is safe and may resolve it
      return false;
    default:
      return true;
  }
}

std::uint64_t random_client_id() {
  std::random_device rd;
  std::uint64_t id = 0;
  while (id == 0) id = (std::uint64_t{rd()} << 32) ^ std::uint64_t{rd()};  // 0 means "no session"
  return id;
}

}  // namespace

struct PendingRequest {
  enum class State { kSent, kBackoff };
  PendingRequest(asio::io_context& io, Request r, AsyncClient::Callback cb, Clock::time_point d)
      : request(std::move(r)), done(std::move(cb)), deadline(d), timer(io) {}
  Request request;
  AsyncClient::Callback done;
  Clock::time_point deadline;
  asio::steady_timer timer;  // attempt timeout while kSent, backoff while kBackoff
  State state = State::kBackoff;
  bool user_timeout_ms = false;      // the caller set request.timeout_ms itself
  std::uint64_t sent_conn = 0;       // generation of the connection of the latest attempt
  std::uint64_t frames_at_send = 0;  // that connection's frames_received() when it was sent
  std::uint64_t timer_token = 0;     // invalidates timer handlers that were already queued
  int attempts = 0;
  int failures = 0;  // retryable failures so far: drives the backoff
  int redirects = 0;
  std::string last_error;
};

struct StatusProbe {
  explicit StatusProbe(asio::io_context& io) : timer(io) {}
  std::shared_ptr<Connection> conn;
  asio::steady_timer timer;
  AsyncClient::Callback done;
};

class AsyncClient::Impl : public std::enable_shared_from_this<AsyncClient::Impl> {
 public:
  Impl(asio::io_context& io, ClientOptions options)
      : io_(io), options_(std::move(options)), rng_(std::random_device{}()) {
    if (options_.endpoints.empty()) throw std::invalid_argument("paxoskv client: no endpoints");
    for (const auto& e : options_.endpoints) {
      Endpoint parsed;
      std::string error;
      if (!parse_endpoint(e, parsed, &error)) throw std::invalid_argument(error);
    }
    if (options_.client_id == 0) options_.client_id = random_client_id();
    target_ = options_.endpoints.front();
  }

  void shutdown() {
    if (conn_) conn_->close();
    conn_.reset();
    pending_.clear();  // destroying the timers cancels them; their handlers hold weak refs
    for (auto& [id, probe] : probes_) probe->conn->close();
    probes_.clear();
  }

  void send(Request request, Callback done) {
    const std::uint64_t seq = next_seq_++;
    request.client_id = options_.client_id;
    request.seq = seq;
    auto p = std::make_unique<PendingRequest>(io_, std::move(request), std::move(done),
                                              Clock::now() + options_.request_timeout);
    p->user_timeout_ms = p->request.timeout_ms != 0;
    pending_.emplace(seq, std::move(p));
    transmit(seq);
  }

  void status(const std::string& endpoint, Callback done) {
    const std::uint64_t id = next_probe_++;
    auto probe = std::make_unique<StatusProbe>(io_);
    probe->done = std::move(done);
    std::weak_ptr<Impl> weak = weak_from_this();
    Connection::Handlers h;
    h.on_response = [weak, id](Response r) {
      if (auto self = weak.lock()) self->finish_probe(id, std::move(r));
    };
    h.on_closed = [weak, id](const std::string& error) {
      if (auto self = weak.lock()) {
        Response r;
        r.status = Status::kUnavailable;
        r.error = error;
        self->finish_probe(id, std::move(r));
      }
    };
    // One attempt only, so the whole request budget may go to connecting.
    probe->conn = std::make_shared<Connection>(io_, endpoint, options_.max_frame_bytes,
                                               options_.request_timeout, std::move(h));
    probe->timer.expires_after(options_.request_timeout);
    probe->timer.async_wait([weak, id](const asio::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        Response r;
        r.status = Status::kTimeout;
        r.error = "no status answer within the request timeout";
        self->finish_probe(id, std::move(r));
      }
    });
    // Not replicated and never retried, so no exactly-once session (client_id 0).
    Request req = make_status();
    req.seq = id;
    req.timeout_ms = static_cast<std::uint32_t>(options_.request_timeout.count());
    probe->conn->start();
    probe->conn->send(req);
    probes_.emplace(id, std::move(probe));
  }

  std::uint64_t client_id() const { return options_.client_id; }
  const std::string& current_endpoint() const { return target_; }
  std::size_t outstanding() const { return pending_.size(); }

 private:
  // The server creates our exactly-once session when it applies our first write, and it reads a
  // first_unacked_seq above 1 from a client it holds no session for as "your session expired".
  // So until a write of ours is known to have been applied, claim nothing was answered yet, even
  // if reads were (found by the nemesis harness: a fresh client that read first got
  // kSessionExpired on its first write).
  std::uint64_t first_unacked() const {
    if (!session_started_) return 1;
    return pending_.empty() ? next_seq_ : pending_.begin()->first;
  }

  Connection& ensure_connection() {
    if (conn_) return *conn_;
    const std::uint64_t gen = ++conn_gen_;
    std::weak_ptr<Impl> weak = weak_from_this();
    Connection::Handlers h;
    h.on_response = [weak, gen](Response r) {
      if (auto self = weak.lock()) self->on_response(gen, std::move(r));
    };
    h.on_closed = [weak, gen](const std::string& error) {
      if (auto self = weak.lock()) self->on_connection_lost(gen, error);
    };
    conn_ = std::make_shared<Connection>(io_, target_, options_.max_frame_bytes,
                                         options_.attempt_timeout, std::move(h));
    conn_->start();
    return *conn_;
  }

  // Sends the next attempt of `seq` on the current connection (opening one if needed). Never
  // completes the request itself, so it is safe to call from anywhere; the deadline is enforced
  // by the timer, which it arms for min(attempt timeout, deadline).
  void transmit(std::uint64_t seq) {
    auto it = pending_.find(seq);
    if (it == pending_.end()) return;
    PendingRequest& p = *it->second;
    const auto now = Clock::now();
    Connection& c = ensure_connection();
    p.request.first_unacked_seq = first_unacked();
    if (!p.user_timeout_ms) {
      // Tell the server how long we will still wait, so it does not work past our deadline.
      const auto left = std::chrono::duration_cast<milliseconds>(p.deadline - now).count();
      p.request.timeout_ms = static_cast<std::uint32_t>(std::clamp<long long>(left, 1, 1LL << 31));
    }
    p.state = PendingRequest::State::kSent;
    p.sent_conn = conn_gen_;
    p.frames_at_send = c.frames_received();
    ++p.attempts;
    c.send(p.request);
    arm_timer(p, std::min(now + options_.attempt_timeout, p.deadline));
  }

  void arm_timer(PendingRequest& p, Clock::time_point at) {
    const std::uint64_t token = ++p.timer_token;
    const std::uint64_t seq = p.request.seq;
    p.timer.expires_at(at);
    p.timer.async_wait([weak = weak_from_this(), seq, token](const asio::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->on_timer(seq, token);
    });
  }

  void on_timer(std::uint64_t seq, std::uint64_t token) {
    auto it = pending_.find(seq);
    if (it == pending_.end() || it->second->timer_token != token) return;
    PendingRequest& p = *it->second;
    if (Clock::now() >= p.deadline) {
      Response r;
      r.status = Status::kTimeout;
      r.error = "no answer within the request timeout (" +
                std::to_string(options_.request_timeout.count()) + " ms, " +
                std::to_string(p.attempts) + " attempts): the outcome is unknown";
      if (!p.last_error.empty()) r.error += " (last error: " + p.last_error + ")";
      complete(seq, std::move(r));
      return;
    }
    if (p.state == PendingRequest::State::kBackoff) {
      transmit(seq);
      return;
    }
    // The attempt went unanswered. If the node has answered anything since we sent it, it is alive
    // and merely slow: resend on the same connection (the server deduplicates by seq). Otherwise
    // treat the node as dead or partitioned and move every request on it to another node.
    const std::string silence =
        "no answer within " + std::to_string(options_.attempt_timeout.count()) + " ms";
    if (conn_ && p.sent_conn == conn_gen_ && conn_->frames_received() == p.frames_at_send) {
      conn_->close();
      on_connection_lost(conn_gen_, silence);  // prefixes the node and moves to the next one
    } else {
      p.last_error = target_ + ": " + silence;
      transmit(seq);
    }
  }

  void on_connection_lost(std::uint64_t gen, const std::string& error) {
    if (gen != conn_gen_) return;
    conn_.reset();
    const std::string why = target_ + ": " + error;
    rotate_target();
    for (std::uint64_t seq : sent_on(gen)) retry_later(seq, why);
  }

  void on_response(std::uint64_t gen, Response r) {
    if (gen != conn_gen_) return;
    auto it = pending_.find(r.seq);
    if (it == pending_.end()) return;  // a late answer to an attempt that was already settled
    PendingRequest& p = *it->second;
    if (is_final(r.status)) {
      complete(r.seq, std::move(r));
      return;
    }
    // A retryable answer to an attempt we no longer wait for (e.g. the first of two copies sent
    // on a slow connection) must not start a second retry cycle.
    if (p.state != PendingRequest::State::kSent || p.sent_conn != gen) return;
    std::string why = target_ + ": " + status_name(r.status);
    if (!r.error.empty()) why += ": " + r.error;
    if (r.status != Status::kNotLeader) {
      retry_later(r.seq, why);
      return;
    }
    ++p.redirects;
    if (!r.leader_address.empty() && r.leader_address != target_) {
      if (p.redirects > kImmediateRedirects) retry_later(r.seq, why);
      switch_target(r.leader_address);
    } else {
      // The node knows no (other) leader: an election is probably under way. Wait, and ask
      // another node next time.
      retry_later(r.seq, why);
      const std::string current = target_;
      rotate_target();
      if (target_ != current) switch_target(target_);
    }
  }

  // Moves to another node: closes the current connection and resends, at once, every request
  // whose latest attempt was on it (they were not failures, we just stopped listening there).
  void switch_target(std::string endpoint) {
    const std::uint64_t old_gen = conn_gen_;
    if (conn_) conn_->close();
    conn_.reset();
    target_ = std::move(endpoint);
    for (std::uint64_t seq : sent_on(old_gen)) transmit(seq);
  }

  void rotate_target() {
    const auto& eps = options_.endpoints;
    for (std::size_t i = 0; i < eps.size(); ++i) {
      rotation_ = (rotation_ + 1) % eps.size();
      if (eps[rotation_] != target_ || eps.size() == 1) break;
    }
    target_ = eps[rotation_];
  }

  std::vector<std::uint64_t> sent_on(std::uint64_t gen) const {
    std::vector<std::uint64_t> seqs;
    for (const auto& [seq, p] : pending_) {
      if (p->state == PendingRequest::State::kSent && p->sent_conn == gen) seqs.push_back(seq);
    }
    return seqs;
  }

  void retry_later(std::uint64_t seq, std::string error) {
    auto it = pending_.find(seq);
    if (it == pending_.end()) return;
    PendingRequest& p = *it->second;
    p.state = PendingRequest::State::kBackoff;
    p.last_error = std::move(error);
    const int exp = std::min(p.failures++, 16);
    const milliseconds cap =
        std::min(kMaxBackoff, std::max(options_.attempt_timeout, milliseconds(1)));
    const milliseconds delay = std::min(cap, milliseconds(kBaseBackoff.count() << exp));
    // Full jitter on the upper half: many clients failing together must not retry in lockstep.
    std::uniform_int_distribution<long long> dist(delay.count() / 2, delay.count());
    arm_timer(p, std::min(Clock::now() + milliseconds(dist(rng_)), p.deadline));
  }

  void complete(std::uint64_t seq, Response r) {
    auto node = pending_.extract(seq);
    if (node.empty()) return;
    PendingRequest& p = *node.mapped();
    p.timer.cancel();
    const Op op = p.request.op;
    const bool write = op == Op::kPut || op == Op::kDelete || op == Op::kDeleteRange || op == Op::kCas;
    if (write && (r.status == Status::kOk || r.status == Status::kCompareFailed ||
                  r.status == Status::kNotFound)) {
      session_started_ = true;
    }
    r.seq = seq;
    // Keep ourselves alive: the callback may destroy the AsyncClient that owns us.
    auto self = shared_from_this();
    auto done = std::move(p.done);
    node = {};
    if (done) done(std::move(r));
  }

  void finish_probe(std::uint64_t id, Response r) {
    auto node = probes_.extract(id);
    if (node.empty()) return;
    node.mapped()->conn->close();
    node.mapped()->timer.cancel();
    auto self = shared_from_this();
    auto done = std::move(node.mapped()->done);
    node = {};
    if (done) done(std::move(r));
  }

  asio::io_context& io_;
  ClientOptions options_;
  std::mt19937_64 rng_;
  std::string target_;
  std::size_t rotation_ = 0;  // index in endpoints of the last endpoint rotated to
  std::shared_ptr<Connection> conn_;
  std::uint64_t conn_gen_ = 0;  // bumped per connection: tells stale callbacks apart
  std::uint64_t next_seq_ = 1;
  bool session_started_ = false;  // see first_unacked()
  // Ordered by seq, so first_unacked() is the first key.
  std::map<std::uint64_t, std::unique_ptr<PendingRequest>> pending_;
  std::map<std::uint64_t, std::unique_ptr<StatusProbe>> probes_;
  std::uint64_t next_probe_ = 1;
};

AsyncClient::AsyncClient(asio::io_context& io, ClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

AsyncClient::~AsyncClient() {
  impl_->shutdown();
}

void AsyncClient::send(Request request, Callback done) {
  impl_->send(std::move(request), std::move(done));
}
void AsyncClient::put(std::string key, std::string value, bool prev_kv, Callback done) {
  send(make_put(std::move(key), std::move(value), prev_kv), std::move(done));
}
void AsyncClient::get(std::string key, bool serializable, Callback done) {
  send(make_get(std::move(key), serializable), std::move(done));
}
void AsyncClient::del(std::string key, bool prev_kv, Callback done) {
  send(make_delete(std::move(key), prev_kv), std::move(done));
}
void AsyncClient::delete_range(std::string key, std::string range_end, bool prev_kv,
                               Callback done) {
  send(make_delete_range(std::move(key), std::move(range_end), prev_kv), std::move(done));
}
void AsyncClient::cas(std::string key, Compare compare, std::string new_value, Callback done) {
  send(make_cas(std::move(key), std::move(compare), std::move(new_value)), std::move(done));
}
void AsyncClient::range(std::string key, std::string range_end, std::uint64_t limit,
                        bool serializable, Callback done) {
  send(make_range(std::move(key), std::move(range_end), limit, serializable), std::move(done));
}
void AsyncClient::scan_prefix(const std::string& prefix, std::uint64_t limit, bool serializable,
                              Callback done) {
  send(make_prefix_scan(prefix, limit, serializable), std::move(done));
}
void AsyncClient::status(const std::string& endpoint, Callback done) {
  impl_->status(endpoint, std::move(done));
}
std::uint64_t AsyncClient::client_id() const {
  return impl_->client_id();
}
const std::string& AsyncClient::current_endpoint() const {
  return impl_->current_endpoint();
}
std::size_t AsyncClient::outstanding() const {
  return impl_->outstanding();
}

}  // namespace paxoskv::client
