#include "client/async_client.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <utility>

#include "client/connection.h"
#include "client/pending_window.h"

namespace paxoskv::client {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Backoff after a retryable failure: 2 ms doubling per consecutive failure, capped (and never
// above the attempt timeout), so a client waiting out a leader election polls every few ms at
// first and a few times per second at worst, without a herd of clients hammering the nodes.
constexpr milliseconds kBaseBackoff{2};
constexpr milliseconds kMaxBackoff{64};
// Redirects followed at once before backoff applies: enough for a stale hint or two, but two nodes
// that name each other during an election must not make us spin.
constexpr int kImmediateRedirects = 3;
// A node whose connection failed is skipped by rotation and its name in a leader hint is ignored
// for this long: long enough to outlast an election, short enough that a restarted node is used
// again soon.
constexpr milliseconds kAvoidFailedNode{1000};
// Leader probes carry seqs with this bit set: they never collide with request seqs, and they are
// sent without an exactly-once session (client_id 0), so the server keeps nothing for them.
constexpr std::uint64_t kProbeSeqBit = std::uint64_t{1} << 63;
// The key a leader probe reads (any key does; the answer's status is what matters).
constexpr const char* kProbeKey = "paxoskv/client/leader-probe";

constexpr Clock::time_point kNever = Clock::time_point::max();

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

bool is_write(Op op) {
  return op == Op::kPut || op == Op::kDelete || op == Op::kDeleteRange || op == Op::kCas;
}

std::uint64_t random_client_id() {
  std::random_device rd;
  std::uint64_t id = 0;
  while (id == 0) id = (std::uint64_t{rd()} << 32) ^ std::uint64_t{rd()};  // 0 means "no session"
  return id;
}

}  // namespace

using detail::PendingRequest;
using detail::PendingWindow;

struct StatusProbe {
  explicit StatusProbe(asio::io_context& io) : timer(io) {}
  std::shared_ptr<Connection> conn;
  asio::steady_timer timer;
  AsyncClient::Callback done;
};

class AsyncClient::Impl : public std::enable_shared_from_this<AsyncClient::Impl> {
 public:
  Impl(asio::io_context& io, ClientOptions options)
      : io_(io), options_(std::move(options)), rng_(std::random_device{}()), timer_(io) {
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
    shut_down_ = true;
    if (conn_) conn_->close();
    conn_.reset();
    pending_.clear();
    timer_.cancel();  // its handler holds a weak reference
    for (auto& [id, probe] : probes_) probe->conn->close();
    probes_.clear();
  }

  void send(Request request, Callback done) {
    const std::uint64_t seq = next_seq_++;
    const auto now = Clock::now();
    PendingRequest& p = pending_.add(seq);
    p.request = std::move(request);
    p.request.client_id = options_.client_id;
    p.request.seq = seq;
    p.done = std::move(done);
    p.deadline = now + options_.request_timeout;
    p.user_timeout_ms = p.request.timeout_ms != 0;
    p.state = PendingRequest::State::kBackoff;
    transmit(seq, now);
  }

  void status(const std::string& endpoint, Callback done) {
    const std::uint64_t id = next_probe_++;
    auto probe = std::make_unique<StatusProbe>(io_);
    probe->done = std::move(done);
    std::weak_ptr<Impl> weak = weak_from_this();
    Connection::Handlers h;
    h.on_response = [weak, id](Response& r) {
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
  std::size_t outstanding() const { return pending_.count(); }

 private:
  // What the leader probe of the current connection has found out.
  enum class ProbeState {
    kSettled,   // no probe wanted: this node leads, or find_leader is off
    kInFlight,  // a probe is out (probe_seq_)
    kWaiting,   // no leader known yet: probe again at probe_at_
  };

  // The server creates our exactly-once session when it applies our first write, and it reads a
  // first_unacked_seq above 1 from a client it holds no session for as "your session expired".
  // So until a write of ours is known to have been applied, claim nothing was answered yet, even
  // if reads were (found by the nemesis harness: a fresh client that read first got
  // kSessionExpired on its first write).
  std::uint64_t first_unacked() const {
    if (!session_started_) return 1;
    return pending_.empty() ? next_seq_ : pending_.first_seq();
  }

  Connection& ensure_connection() {
    if (conn_) return *conn_;
    const std::uint64_t gen = ++conn_gen_;
    std::weak_ptr<Impl> weak = weak_from_this();
    Connection::Handlers h;
    h.on_response = [weak, gen](Response& r) {
      if (auto self = weak.lock()) self->on_response(gen, r);
    };
    h.on_closed = [weak, gen](const std::string& error) {
      if (auto self = weak.lock()) self->on_connection_lost(gen, error);
    };
    conn_ = std::make_shared<Connection>(io_, target_, options_.max_frame_bytes,
                                         options_.attempt_timeout, std::move(h));
    conn_->start();
    heard_from_target_ = false;
    probe_state_ = ProbeState::kSettled;
    probe_failures_ = 0;
    forwards_suspect_ = false;
    if (options_.find_leader) send_probe(*conn_);
    return *conn_;
  }

  // Sends the next attempt of `seq` on the current connection (opening one if needed). Never
  // completes the request itself, so it is safe to call from anywhere; the deadline is enforced
  // by the sweep, for which it sets wake_at = min(attempt timeout, deadline).
  void transmit(std::uint64_t seq, Clock::time_point now) {
    PendingRequest* found = pending_.find(seq);
    if (found == nullptr) return;
    PendingRequest& p = *found;
    Connection& c = ensure_connection();
    if (probe_state_ == ProbeState::kWaiting && probe_at_ <= now) send_probe(c);
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
    wake_at(p, std::min(now + options_.attempt_timeout, p.deadline));
  }

  // ---- the one timer: armed at the earliest wake_at (or probe time), swept when it fires ----

  void wake_at(PendingRequest& p, Clock::time_point at) {
    p.wake_at = at;
    arm_timer(at);
  }

  // Makes sure the timer fires no later than `at`. Requests are sent in time order, so in steady
  // state the timer is already armed earlier and this is one comparison.
  void arm_timer(Clock::time_point at) {
    if (at >= timer_at_ || shut_down_) return;
    timer_at_ = at;
    const std::uint64_t token = ++timer_token_;
    timer_.expires_at(at);
    timer_.async_wait([weak = weak_from_this(), token](const asio::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->on_timer(token);
    });
  }

  void on_timer(std::uint64_t token) {
    if (token != timer_token_) return;
    timer_at_ = kNever;
    const auto now = Clock::now();
    // Collect first: handling one request may retry or complete others.
    due_.clear();
    Clock::time_point next = kNever;
    pending_.for_each([&](const PendingRequest& p) {
      if (p.wake_at <= now) {
        due_.push_back(p.seq);
      } else {
        next = std::min(next, p.wake_at);
      }
    });
    std::sort(due_.begin(), due_.end());  // oldest first, as they were sent
    for (std::uint64_t seq : due_) on_due(seq, now);
    // Probe again only on behalf of requests; an idle client probes at its next request.
    if (probe_state_ == ProbeState::kWaiting && conn_ && !pending_.empty()) {
      if (probe_at_ <= now) {
        send_probe(*conn_);
      } else {
        next = std::min(next, probe_at_);
      }
    }
    if (next != kNever) arm_timer(next);
  }

  void on_due(std::uint64_t seq, Clock::time_point now) {
    PendingRequest* found = pending_.find(seq);
    if (found == nullptr || found->wake_at > now) return;  // settled while handling another
    PendingRequest& p = *found;
    if (now >= p.deadline) {
      Response r;
      r.status = Status::kTimeout;
      r.error = "no answer within the request timeout (" +
                std::to_string(options_.request_timeout.count()) + " ms, " +
                std::to_string(p.attempts) + " attempts): the outcome is unknown";
      if (!p.last_error.empty()) r.error += " (last error: " + p.last_error + ")";
      complete(seq, r);
      return;
    }
    if (p.state == PendingRequest::State::kBackoff) {
      transmit(seq, now);
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
      transmit(seq, now);
    }
  }

  // ---- answers ----

  void on_connection_lost(std::uint64_t gen, const std::string& error) {
    if (gen != conn_gen_) return;
    conn_.reset();
    probe_state_ = ProbeState::kSettled;
    const std::string why = target_ + ": " + error;
    mark_failed(target_);
    rotate_target();
    // A node that has not failed lately gets the requests at once: a killed leader costs one
    // reconnect, not a backoff. If every node failed lately, wait a little between rounds.
    const bool fresh = !recently_failed(target_, Clock::now());
    for (std::uint64_t seq : sent_on(gen)) {
      if (fresh) {
        if (PendingRequest* p = pending_.find(seq)) p->last_error = why;
        transmit(seq, Clock::now());
      } else {
        retry_later(seq, why);
      }
    }
  }

  void on_response(std::uint64_t gen, Response& r) {
    if (gen != conn_gen_) return;
    if (!heard_from_target_) {
      heard_from_target_ = true;
      forget_failure(target_);  // it answers: it is alive again
    }
    if ((r.seq & kProbeSeqBit) != 0) {
      on_probe_answer(r);
      return;
    }
    PendingRequest* found = pending_.find(r.seq);
    if (found == nullptr) return;  // a late answer to an attempt that was already settled
    PendingRequest& p = *found;
    if (is_final(r.status)) {
      complete(r.seq, r);
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
    if (usable_hint(r)) {
      if (p.redirects > kImmediateRedirects) retry_later(r.seq, why);
      switch_target(r.leader_address);
    } else if (!r.leader_address.empty() && r.leader_address != target_) {
      // It names a node whose connection just failed: the old leader, which this node has not
      // yet seen die. Ask this node again shortly; it will know the new leader.
      retry_later(r.seq, why);
    } else {
      // The node knows no (other) leader: an election is probably under way. Wait, and ask
      // another node next time.
      retry_later(r.seq, why);
      const std::string current = target_;
      rotate_target();
      if (target_ != current) switch_target(target_);
    }
  }

  bool usable_hint(const Response& r) const {
    return !r.leader_address.empty() && r.leader_address != target_ &&
           !recently_failed(r.leader_address, Clock::now());
  }

  // ---- leader probes ----

  void send_probe(Connection& c) {
    Request probe = make_get(kProbeKey, /*serializable=*/false);
    probe_seq_ = kProbeSeqBit | ++probe_counter_;
    probe.seq = probe_seq_;
    probe.timeout_ms = static_cast<std::uint32_t>(options_.attempt_timeout.count());
    probe_state_ = ProbeState::kInFlight;
    c.send(probe);
  }

  void on_probe_answer(const Response& r) {
    if (probe_state_ != ProbeState::kInFlight || r.seq != probe_seq_) return;
    // Two nodes naming each other (leadership moving) must not make us hop without pause.
    if (r.status == Status::kNotLeader && usable_hint(r) && probe_hops_ < kImmediateRedirects) {
      ++probe_hops_;
      switch_target(r.leader_address);  // resends what was sent here, probes the leader
      return;
    }
    const bool no_leader_yet = r.status == Status::kUnavailable || r.status == Status::kBusy ||
                               r.status == Status::kNotLeader;
    if (!no_leader_yet) {
      // This node serves linearizable reads: it leads. Anything sent while it still followed a
      // leader that has died may have been forwarded to the dead node and lost: send it again
      // (same seqs; the server answers a duplicate from its session).
      probe_state_ = ProbeState::kSettled;
      probe_hops_ = 0;
      if (forwards_suspect_) {
        forwards_suspect_ = false;
        const auto now = Clock::now();
        for (std::uint64_t seq : sent_on(conn_gen_)) transmit(seq, now);
      }
      return;
    }
    // A hint that names a node we just lost means this node still follows a dead leader: what it
    // forwarded there is gone. kUnavailable (no leader) means it buffers instead.
    if (r.status == Status::kNotLeader) forwards_suspect_ = true;
    probe_state_ = ProbeState::kWaiting;
    probe_at_ = Clock::now() + backoff(probe_failures_++);
    arm_timer(probe_at_);
  }

  // ---- targets ----

  // Moves to another node: closes the current connection and resends, at once, every request
  // whose latest attempt was on it (they were not failures, we just stopped listening there).
  void switch_target(std::string endpoint) {
    const std::uint64_t old_gen = conn_gen_;
    if (conn_) conn_->close();
    conn_.reset();
    target_ = std::move(endpoint);
    const auto now = Clock::now();
    for (std::uint64_t seq : sent_on(old_gen)) transmit(seq, now);
  }

  // The next endpoint after the current one that has not failed lately; if all have, the one
  // that failed longest ago.
  void rotate_target() {
    const auto& eps = options_.endpoints;
    const auto now = Clock::now();
    std::size_t best = (rotation_ + 1) % eps.size();
    Clock::time_point best_failed = kNever;
    for (std::size_t step = 1; step <= eps.size(); ++step) {
      const std::size_t i = (rotation_ + step) % eps.size();
      if (eps[i] == target_ && eps.size() > 1) continue;
      const Clock::time_point failed = failed_at(eps[i]);
      if (!recently_failed(eps[i], now)) {
        best = i;
        break;
      }
      if (failed < best_failed) {
        best = i;
        best_failed = failed;
      }
    }
    rotation_ = best;
    target_ = eps[best];
  }

  Clock::time_point failed_at(const std::string& endpoint) const {
    auto it = failed_.find(endpoint);
    return it == failed_.end() ? Clock::time_point::min() : it->second;
  }
  bool recently_failed(const std::string& endpoint, Clock::time_point now) const {
    auto it = failed_.find(endpoint);
    return it != failed_.end() && now - it->second < kAvoidFailedNode;
  }
  void mark_failed(const std::string& endpoint) { failed_[endpoint] = Clock::now(); }
  void forget_failure(const std::string& endpoint) { failed_.erase(endpoint); }

  // Seqs whose latest attempt went out on connection `gen`, oldest first.
  std::vector<std::uint64_t> sent_on(std::uint64_t gen) {
    std::vector<std::uint64_t> seqs;
    pending_.for_each([&](const PendingRequest& p) {
      if (p.state == PendingRequest::State::kSent && p.sent_conn == gen) seqs.push_back(p.seq);
    });
    std::sort(seqs.begin(), seqs.end());
    return seqs;
  }

  // Jittered exponential backoff for the n-th consecutive failure (n from 0).
  milliseconds backoff(int failures) {
    const int exp = std::min(failures, 16);
    const milliseconds cap =
        std::min(kMaxBackoff, std::max(options_.attempt_timeout, milliseconds(1)));
    const milliseconds delay = std::min(cap, milliseconds(kBaseBackoff.count() << exp));
    // Full jitter on the upper half: many clients failing together must not retry in lockstep.
    std::uniform_int_distribution<long long> dist(delay.count() / 2, delay.count());
    return milliseconds(dist(rng_));
  }

  void retry_later(std::uint64_t seq, std::string error) {
    PendingRequest* found = pending_.find(seq);
    if (found == nullptr) return;
    PendingRequest& p = *found;
    p.state = PendingRequest::State::kBackoff;
    p.last_error = std::move(error);
    wake_at(p, std::min(Clock::now() + backoff(p.failures++), p.deadline));
  }

  void complete(std::uint64_t seq, Response& r) {
    PendingRequest* found = pending_.find(seq);
    if (found == nullptr) return;
    if (is_write(found->request.op) &&
        (r.status == Status::kOk || r.status == Status::kCompareFailed ||
         r.status == Status::kNotFound)) {
      session_started_ = true;
    }
    r.seq = seq;
    Callback done = std::move(found->done);
    pending_.erase(seq);
    // Keep ourselves alive: the callback may destroy the AsyncClient that owns us.
    auto self = shared_from_this();
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
  std::map<std::string, Clock::time_point> failed_;  // endpoint -> when its connection failed
  std::shared_ptr<Connection> conn_;
  std::uint64_t conn_gen_ = 0;      // bumped per connection: tells stale callbacks apart
  bool heard_from_target_ = false;  // the current connection has delivered a frame
  std::uint64_t next_seq_ = 1;
  bool session_started_ = false;  // see first_unacked()
  PendingWindow pending_;

  asio::steady_timer timer_;
  Clock::time_point timer_at_ = kNever;  // when the armed timer fires (kNever: not armed)
  std::uint64_t timer_token_ = 0;        // invalidates a handler whose wait was re-armed
  std::vector<std::uint64_t> due_;       // scratch for on_timer

  ProbeState probe_state_ = ProbeState::kSettled;
  std::uint64_t probe_seq_ = 0;
  std::uint64_t probe_counter_ = 0;
  int probe_failures_ = 0;
  int probe_hops_ = 0;  // probe redirects since a probe last settled
  Clock::time_point probe_at_ = kNever;
  bool forwards_suspect_ = false;  // see on_probe_answer

  std::map<std::uint64_t, std::unique_ptr<StatusProbe>> probes_;
  std::uint64_t next_probe_ = 1;
  bool shut_down_ = false;
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
