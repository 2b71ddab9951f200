#include "client/bench/worker.h"

#include <algorithm>
#include <utility>

#include "client/requests.h"

namespace paxoskv::bench {
namespace {

// An open loop that has fallen far behind sends at most this many requests per wake-up, then
// yields to the event loop so that responses keep being read while it catches up.
constexpr int kMaxBurst = 256;

std::uint64_t mix_seed(std::uint64_t seed, std::size_t worker) {
  Rng r(seed ^ (0x9e3779b97f4a7c15ULL * (worker + 1)));
  return r.next();
}

}  // namespace

Worker::Worker(std::size_t index, const RunContext& context, std::size_t intervals)
    : index_(index),
      context_(context),
      rng_(mix_seed(context.seed, index)),
      pacer_timer_(io_),
      interval_stats_(intervals) {
  for (std::size_t c = index; c < context.workload.connections; c += context.workers) {
    Slot slot;
    slot.client = std::make_unique<client::AsyncClient>(io_, context.client_options);
    slots_.push_back(std::move(slot));
    slot_connection_.push_back(c);
  }
  // A worker with no connection has no preload share to write.
  preload_next_ = index;
}

Worker::~Worker() {
  join();
}

void Worker::start_thread() {
  guard_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::begin(const Phase& phase) {
  asio::post(io_, [this, phase] { on_begin(phase); });
}

void Worker::join() {
  if (!thread_.joinable()) return;
  guard_.reset();
  io_.stop();
  thread_.join();
  publish();  // what the last turns gathered (their posted publish may not have run)
  // The clients go while no thread runs the io_context: their destructors close sockets and
  // drop outstanding requests without calling back.
  for (Slot& s : slots_) s.client.reset();
}

Worker::Progress Worker::take_progress() {
  Progress p;
  std::lock_guard lock(mutex_);
  std::swap(p.second, second_);
  std::swap(p.records, records_);
  p.outstanding = outstanding_seen_.load(std::memory_order_relaxed);
  p.preload_done = preload_done_;
  p.preload_failed = preload_failed_;
  return p;
}

std::uint32_t Worker::slot_share(std::size_t slot, std::uint32_t total) const {
  const std::size_t c = slot_connection_[slot];
  const std::size_t n = context_.workload.connections;
  return static_cast<std::uint32_t>(total / n + (c < total % n ? 1 : 0));
}

void Worker::on_begin(const Phase& phase) {
  phase_ = phase;
  ++phase_generation_;
  pacer_.reset();
  pacer_timer_.cancel();
  const bool closed =
      phase.kind == Phase::Kind::kPreload ||
      ((phase.kind == Phase::Kind::kWarmup || phase.kind == Phase::Kind::kMeasure) &&
       phase.load.mode == LoopMode::kClosed);
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    std::uint32_t total = 0;
    if (phase.kind == Phase::Kind::kPreload) total = phase.preload_in_flight;
    if (closed && phase.kind != Phase::Kind::kPreload) total = phase.load.in_flight;
    slots_[s].target = closed ? slot_share(s, total) : 0;
  }
  if (phase.kind == Phase::Kind::kPreload && preload_next_ >= context_.workload.keys) {
    std::lock_guard lock(mutex_);
    preload_done_ = true;
  }
  if (closed) {
    for (std::size_t s = 0; s < slots_.size(); ++s) fill(s);
  } else if (phase.kind != Phase::Kind::kStop && !slots_.empty()) {
    const double share =
        static_cast<double>(slots_.size()) / static_cast<double>(context_.workload.connections);
    pacer_ = std::make_unique<OpenLoopPacer>(phase.start_ns, phase.load.rate_per_s * share);
    arm_pacer();
  }
}

// Closed loop: tops slot `s` up to its target.
void Worker::fill(std::size_t s) {
  Slot& slot = slots_[s];
  while (slot.outstanding < slot.target) {
    if (phase_.kind == Phase::Kind::kPreload) {
      if (preload_next_ >= context_.workload.keys) return;
      const std::uint64_t key = preload_next_;
      preload_next_ += context_.workers;
      issue(s, OpKind::kPut, key, context_.now_ns(), true);
      continue;
    }
    const OpKind kind = choose_op(rng_, phase_.load.read_ratio, phase_.load.cas_ratio);
    issue(s, kind, context_.chooser->next(rng_), context_.now_ns(), false);
  }
}

void Worker::arm_pacer() {
  const std::uint64_t generation = phase_generation_;
  pacer_timer_.expires_at(context_.t0 + std::chrono::nanoseconds(pacer_->next_due_ns()));
  pacer_timer_.async_wait([this, generation](const asio::error_code& ec) {
    if (!ec) on_pacer(generation);
  });
}

void Worker::on_pacer(std::uint64_t generation) {
  if (generation != phase_generation_ || !pacer_) return;
  const std::int64_t now = context_.now_ns();
  for (int sent = 0; sent < kMaxBurst; ++sent) {
    std::optional<std::int64_t> due = pacer_->take_due(now);
    if (!due) {
      arm_pacer();
      return;
    }
    const std::size_t s = round_robin_++ % slots_.size();
    const OpKind kind = choose_op(rng_, phase_.load.read_ratio, phase_.load.cas_ratio);
    issue(s, kind, context_.chooser->next(rng_), *due, false);
  }
  asio::post(io_, [this, generation] { on_pacer(generation); });
}

void Worker::issue(std::size_t s, OpKind kind, std::uint64_t key, std::int64_t due_ns,
                   bool preload) {
  const std::uint64_t id = next_id();
  const std::uint32_t value_size = context_.workload.value_size;
  std::string key_text = format_key(key, context_.workload.key_size);
  // Built in place (no default Request moved over): the request is one of the driver's costs.
  auto build = [&]() -> Request {
    switch (kind) {
      case OpKind::kGet:
        return client::make_get(std::move(key_text), /*serializable=*/false);
      case OpKind::kPut:
        return client::make_put(std::move(key_text), make_value(id, value_size));
      case OpKind::kCas:
        break;
    }
    const std::uint64_t seen =
        context_.last_seen ? context_.last_seen[key].load(std::memory_order_relaxed) : 0;
    Compare compare =
        seen == 0 ? client::compare_absent() : client::compare_value(make_value(seen, value_size));
    return client::make_cas(std::move(key_text), std::move(compare), make_value(id, value_size));
  };
  Request request = build();
  Slot& slot = slots_[s];
  ++slot.outstanding;
  ++outstanding_;
  outstanding_seen_.store(outstanding_, std::memory_order_relaxed);
  std::uint32_t ticket;
  if (inflight_free_.empty()) {
    ticket = static_cast<std::uint32_t>(inflight_.size());
    inflight_.emplace_back();
  } else {
    ticket = inflight_free_.back();
    inflight_free_.pop_back();
  }
  InFlight& f = inflight_[ticket];
  f.slot = s;
  f.id = id;
  f.kind = kind;
  f.key = key;
  f.phase_kind = preload ? Phase::Kind::kPreload : phase_.kind;
  f.interval = phase_.interval;
  f.times = RequestTimes{};
  f.times.due_ns = due_ns;
  f.times.sent_ns = context_.now_ns();
  slot.client->send(std::move(request),
                    [this, ticket](Response&& response) { on_done(ticket, response); });
}

void Worker::on_done(std::uint32_t ticket, const Response& response) {
  const InFlight f = inflight_[ticket];
  inflight_free_.push_back(ticket);
  const std::size_t s = f.slot;
  const std::uint64_t id = f.id;
  const OpKind kind = f.kind;
  const std::uint64_t key = f.key;
  RequestTimes times = f.times;
  times.received_ns = context_.now_ns();
  const Outcome outcome = classify(response.status);
  const bool compare_failed = kind == OpKind::kCas && outcome == Outcome::kOk &&
                              (response.status == Status::kCompareFailed || !response.succeeded);
  // What the key holds now, as far as this answer tells.
  if (context_.last_seen && outcome == Outcome::kOk) {
    std::optional<std::uint64_t> writer;
    if (kind == OpKind::kPut || (kind == OpKind::kCas && !compare_failed)) writer = id;
    if (kind == OpKind::kGet && !response.kvs.empty()) {
      writer = value_writer(response.kvs.front().value);
    }
    if (writer) context_.last_seen[key].store(*writer, std::memory_order_relaxed);
  }
  Slot& slot = slots_[s];
  --slot.outstanding;
  --outstanding_;
  outstanding_seen_.store(outstanding_, std::memory_order_relaxed);
  unpublished_.push_back({outcome, times.latency_ns(), compare_failed});
  if (f.phase_kind == Phase::Kind::kMeasure) {
    interval_stats_[f.interval].record(kind, outcome, times, compare_failed);
    if (context_.keep_records) unpublished_records_.push_back({id, kind, outcome, times});
  }
  if (f.phase_kind == Phase::Kind::kPreload && outcome != Outcome::kOk) {
    ++unpublished_preload_failed_;
  }
  if (!publish_posted_) {
    // After this turn's other completions (the rest of the read that carried this response).
    publish_posted_ = true;
    asio::post(io_, [this] { publish(); });
  }
  fill(s);
}

void Worker::publish() {
  publish_posted_ = false;
  std::lock_guard lock(mutex_);
  for (const Completed& c : unpublished_) second_.record(c.outcome, c.latency_ns, c.compare_failed);
  unpublished_.clear();
  if (records_.empty()) {
    std::swap(records_, unpublished_records_);
  } else {
    records_.insert(records_.end(), unpublished_records_.begin(), unpublished_records_.end());
    unpublished_records_.clear();
  }
  preload_failed_ += unpublished_preload_failed_;
  unpublished_preload_failed_ = 0;
  if (phase_.kind == Phase::Kind::kPreload && preload_next_ >= context_.workload.keys &&
      outstanding_ == 0) {
    preload_done_ = true;
  }
}

}  // namespace paxoskv::bench
