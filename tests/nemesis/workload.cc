#include "workload.h"

#include <stdexcept>

namespace paxoskv::nemesis {

Workload::Workload(std::vector<std::string> endpoints, WorkloadOptions options,
                   const RunClock& clock)
    : endpoints_(std::move(endpoints)),
      options_(options),
      clock_(clock),
      clients_(options.clients),
      rng_(options.seed) {}

Workload::~Workload() {
  stop();
}

std::unique_ptr<client::AsyncClient> Workload::new_client() {
  client::ClientOptions o;
  o.endpoints = endpoints_;
  o.request_timeout = options_.request_timeout;
  o.attempt_timeout = options_.attempt_timeout;
  return std::make_unique<client::AsyncClient>(io_, o);
}

void Workload::start() {
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    ClientState& c = clients_[i];
    c.id = i;
    c.kv = new_client();
    c.think = std::make_unique<asio::steady_timer>(io_);
    asio::post(io_, [this, &c] { issue(c); });
  }
  thread_ = std::thread([this] { io_.run(); });
}

void Workload::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  // Every client finishes its operation in flight (the AsyncClient's deadline bounds it), then
  // issues no more; the loop then runs out of work... except for the clients' own timers, so
  // wait for idleness explicitly and stop the loop.
  const auto deadline =
      std::chrono::steady_clock::now() + options_.request_timeout + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    auto idle = std::make_shared<std::atomic<bool>>(false);
    asio::post(io_, [this, idle] {
      bool any = false;
      for (const ClientState& c : clients_) any |= c.busy;
      *idle = !any;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (*idle) break;
  }
  io_.stop();
  thread_.join();
  retired_.clear();
  for (ClientState& c : clients_) {
    c.think.reset();
    c.kv.reset();  // drops whatever is still outstanding: recorded as unknown
    if (c.in_flight) {
      c.current.status = Status::kTimeout;
      history_.push_back(std::move(c.current));
      c.in_flight = false;
    }
  }
}

std::set<std::string> Workload::keys() const {
  std::set<std::string> keys;
  for (const HistoryOp& op : history_) keys.insert(op.key);
  return keys;
}

std::string Workload::pick_key() {
  const std::int64_t epoch = clock_.now_ns() / (options_.key_epoch.count() * 1'000'000);
  const std::size_t i =
      std::uniform_int_distribution<std::size_t>(0, options_.keys_per_epoch - 1)(rng_);
  return "e" + std::to_string(epoch) + "-k" + std::to_string(i);
}

void Workload::issue(ClientState& c) {
  if (stopping_) return;
  c.busy = true;
  HistoryOp op;
  op.client = c.id;
  op.key = pick_key();
  const int roll = std::uniform_int_distribution<int>(0, 99)(rng_);
  op.kind = roll < 35   ? OpKind::kGet
            : roll < 65 ? OpKind::kPut
            : roll < 85 ? OpKind::kCas
                        : OpKind::kDelete;
  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) {
    op.value = "c" + std::to_string(c.id) + "-" + std::to_string(c.next_value++);
  }
  Request request;
  switch (op.kind) {
    case OpKind::kGet:
      request = client::make_get(op.key);
      break;
    case OpKind::kPut:
      request = client::make_put(op.key, op.value);
      break;
    case OpKind::kDelete:
      request = client::make_delete(op.key);
      break;
    case OpKind::kCas: {
      // Mostly the latest value written (likely to succeed under little contention), sometimes
      // "absent" (succeeds right after a delete or on a fresh key).
      auto it = last_written_.find(op.key);
      if (it != last_written_.end() && std::bernoulli_distribution(0.8)(rng_)) {
        op.expected = it->second;
      }
      request = client::make_cas(
          op.key, op.expected ? client::compare_value(*op.expected) : client::compare_absent(),
          op.value);
      break;
    }
  }
  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) last_written_[op.key] = op.value;
  op.start_ns = clock_.now_ns();
  c.current = std::move(op);
  c.in_flight = true;
  c.kv->send(std::move(request), [this, &c](Response r) { complete(c, r); });
}

void Workload::complete(ClientState& c, const Response& r) {
  const std::int64_t now = clock_.now_ns();
  HistoryOp op = std::move(c.current);
  c.in_flight = false;
  op.status = r.status;
  bool known = false;
  switch (op.kind) {
    case OpKind::kGet:
      if (r.status == Status::kOk && !r.kvs.empty()) {
        op.read_value = r.kvs.front().value;
        known = true;
      } else if (r.status == Status::kNotFound || (r.status == Status::kOk && r.kvs.empty())) {
        known = true;
      }
      break;
    case OpKind::kPut:
    case OpKind::kDelete:
      known = r.status == Status::kOk;
      break;
    case OpKind::kCas:
      if (r.status == Status::kOk || r.status == Status::kCompareFailed) {
        op.cas_succeeded = r.status == Status::kOk && r.succeeded;
        known = true;
      }
      break;
  }
  if (known) {
    op.end_ns = now;
    if (op.kind != OpKind::kGet) {
      std::int64_t prev = last_write_ns_.load();
      while (prev < now && !last_write_ns_.compare_exchange_weak(prev, now)) {
      }
    }
  }
  history_.push_back(std::move(op));
  completed_.fetch_add(1);
  if (r.status == Status::kSessionExpired) {
    // A new session is the documented way on. The old client is inside this callback: retire it
    // rather than destroy it here.
    retired_.push_back(std::move(c.kv));
    c.kv = new_client();
  }
  after(c);
}

void Workload::after(ClientState& c) {
  c.busy = false;
  if (stopping_) return;
  const auto pause = std::chrono::microseconds(std::uniform_int_distribution<std::int64_t>(
      0, std::chrono::microseconds(options_.think_max).count())(rng_));
  c.busy = true;
  c.think->expires_after(pause);
  c.think->async_wait([this, &c](const asio::error_code& ec) {
    c.busy = false;
    if (!ec) issue(c);
  });
}

}  // namespace paxoskv::nemesis
