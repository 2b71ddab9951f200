// The run itself: status probes, workers, phases, progress, output files.
#include "client/bench/runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <ostream>
#include <thread>

#include "client/bench/report.h"
#include "client/bench/worker.h"

namespace paxoskv::bench {
namespace {

constexpr std::int64_t kSecondNs = 1'000'000'000;

void error_line(std::ostream& err, const std::string& message) {
  err << "paxoskv bench: error: " << message << '\n';
}

// Asks every endpoint for its status, each on its own connection, and waits for all answers.
std::vector<Response> probe_status(const std::vector<std::string>& endpoints,
                                   std::chrono::milliseconds timeout) {
  asio::io_context io;
  client::ClientOptions options;
  options.endpoints = endpoints;
  options.request_timeout = timeout;
  options.attempt_timeout = timeout;
  client::AsyncClient kv(io, options);
  std::vector<Response> answers(endpoints.size());
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    kv.status(endpoints[i], [&answers, i](Response r) { answers[i] = std::move(r); });
  }
  io.run();
  return answers;
}

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

class Run {
 public:
  Run(const BenchOptions& options, std::ostream& out, std::ostream& err)
      : options_(options), out_(out), err_(err) {}

  int execute() {
    const Workload& w = options_.workload;
    const auto status_timeout =
        std::chrono::milliseconds(std::min<std::uint32_t>(options_.request_timeout_ms, 2000));
    const std::vector<Response> before = probe_status(w.endpoints, status_timeout);
    if (std::none_of(before.begin(), before.end(), [](const Response& r) {
          return r.status == Status::kOk && r.node.has_value();
        })) {
      std::string why;
      for (std::size_t i = 0; i < before.size(); ++i) {
        why += (i ? "; " : "") + w.endpoints[i] + ": " + status_name(before[i].status) +
               (before[i].error.empty() ? "" : " (" + before[i].error + ")");
      }
      error_line(err_, "no endpoint could be reached: " + why);
      return kExitUnreachable;
    }
    if (!open_outputs()) return kExitUsage;

    setup_context();
    const double cpu_start = cpu_seconds();
    const std::size_t workers = std::min<std::size_t>(options_.threads, w.connections);
    context_.workers = workers;
    for (std::size_t i = 0; i < workers; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, context_, w.intervals.size()));
    }
    for (auto& worker : workers_) worker->start_thread();

    run_phases();

    for (auto& worker : workers_) worker->join();
    collect(/*final=*/true);
    const double wall_s = static_cast<double>(context_.now_ns()) / 1e9;
    const double cpu_s = cpu_seconds() - cpu_start;

    std::vector<IntervalResult> results;
    for (std::size_t k = 0; k < w.intervals.size(); ++k) {
      IntervalResult r{w.intervals[k], elapsed_s_[k], {}};
      for (const auto& worker : workers_) r.stats.merge(worker->interval_stats()[k]);
      results.push_back(std::move(r));
    }
    workers_.clear();
    const std::vector<Response> after = probe_status(w.endpoints, status_timeout);

    print_summary_table(out_, results);
    out_ << "driver: " << workers << " thread(s), " << w.connections << " connection(s), CPU "
         << std::llround(100.0 * cpu_s / std::max(wall_s, 1e-9)) << "% of one core over "
         << std::llround(wall_s * 10) / 10.0 << " s\n";
    if (preload_failed_ > 0) {
      out_ << "note: " << preload_failed_ << " preload writes failed; those keys start unknown\n";
    }
    if (abandoned_ > 0) {
      out_ << "note: " << abandoned_
           << " requests were still unanswered at the end and are not counted\n";
    }
    if (json_) {
      *json_ << summary_json(w, cluster_json(w.endpoints, before, after), results).dump(2) << '\n';
      json_->flush();
      if (!*json_) error_line(err_, "cannot write " + *options_.json_path);
    }
    if (csv_) {
      csv_->flush();
      if (!*csv_) error_line(err_, "cannot write " + *options_.csv_path);
    }
    return kExitRunCompleted;
  }

 private:
  bool open_outputs() {
    if (options_.json_path) {
      json_.emplace(*options_.json_path, std::ios::trunc);
      if (!*json_) {
        error_line(err_, "cannot open " + *options_.json_path + " for writing");
        return false;
      }
    }
    if (options_.csv_path) {
      csv_.emplace(*options_.csv_path, std::ios::trunc);
      if (!*csv_) {
        error_line(err_, "cannot open " + *options_.csv_path + " for writing");
        return false;
      }
      *csv_ << kCsvHeader << '\n';
    }
    return true;
  }

  void setup_context() {
    const Workload& w = options_.workload;
    context_.workload = w;
    context_.client_options.endpoints = w.endpoints;
    // Straight to the leader: no forwarding hop, and a dead leader is a closed connection.
    context_.client_options.find_leader = true;
    context_.client_options.attempt_timeout =
        std::chrono::milliseconds(options_.attempt_timeout_ms);
    context_.client_options.request_timeout =
        std::chrono::milliseconds(options_.request_timeout_ms);
    context_.chooser = std::make_unique<KeyChooser>(w.keys, w.distribution, w.zipf_theta);
    const bool cas = std::any_of(w.intervals.begin(), w.intervals.end(),
                                 [](const IntervalSpec& s) { return s.cas_ratio > 0; });
    if (cas) context_.last_seen = std::make_unique<std::atomic<std::uint64_t>[]>(w.keys);
    context_.keep_records = options_.csv_path.has_value();
    context_.seed = options_.seed;
    // The realtime anchor: the monotonic origin and a realtime reading taken back to back (the
    // average of two readings around it would only matter at sub-microsecond precision).
    context_.t0 = SteadyClock::now();
    epoch_ns_at_t0_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  }

  void begin(Phase phase) {
    phase.start_ns = context_.now_ns();
    for (auto& worker : workers_) worker->begin(phase);
    phase_name_ = phase.kind == Phase::Kind::kPreload  ? "preload"
                  : phase.kind == Phase::Kind::kWarmup ? "warm-up (" + phase.load.name + ")"
                  : phase.kind == Phase::Kind::kStop   ? "draining"
                                                       : phase.load.name;
    phase_start_ns_ = phase.start_ns;
  }

  void run_phases() {
    const Workload& w = options_.workload;
    const bool preload = std::any_of(w.intervals.begin(), w.intervals.end(), [](const auto& s) {
      return s.read_ratio > 0 || s.cas_ratio > 0;
    });
    if (preload) {
      Phase p;
      p.kind = Phase::Kind::kPreload;
      std::uint32_t in_flight = 64;
      for (const IntervalSpec& s : w.intervals) {
        if (s.mode == LoopMode::kClosed) in_flight = std::max(in_flight, s.in_flight);
      }
      p.preload_in_flight = std::max(in_flight, w.connections);
      begin(p);
      wait_until(-1, [this] { return preload_done_; });
    }
    if (w.warmup_s > 0) {
      Phase p;
      p.kind = Phase::Kind::kWarmup;
      p.load = w.intervals.front();
      begin(p);
      wait_until(phase_start_ns_ + static_cast<std::int64_t>(w.warmup_s * 1e9), nullptr);
    }
    for (std::size_t k = 0; k < w.intervals.size(); ++k) {
      Phase p;
      p.kind = Phase::Kind::kMeasure;
      p.interval = k;
      p.load = w.intervals[k];
      begin(p);
      const std::int64_t start = phase_start_ns_;
      wait_until(start + static_cast<std::int64_t>(p.load.duration_s * 1e9), nullptr);
      elapsed_s_.push_back(static_cast<double>(context_.now_ns() - start) / 1e9);
    }
    begin(Phase{});  // stop issuing
    // Everything in flight completes or times out within the request timeout.
    const std::int64_t drain_deadline =
        phase_start_ns_ + std::int64_t{options_.request_timeout_ms} * 1'000'000 + kSecondNs;
    wait_until(drain_deadline, [this] { return outstanding_ == 0; });
    abandoned_ = outstanding_;
  }

  // Sleeps until `deadline_ns` (never, if negative) or until `done` holds, printing a progress
  // line every second of the run.
  void wait_until(std::int64_t deadline_ns, const std::function<bool()>& done) {
    for (;;) {
      collect(false);
      if (done && done()) return;
      const std::int64_t now = context_.now_ns();
      if (deadline_ns >= 0 && now >= deadline_ns) return;
      if (now >= next_progress_ns_) {
        print_progress(now);
        next_progress_ns_ = (now / kSecondNs + 1) * kSecondNs;
      }
      std::int64_t wake = next_progress_ns_;
      if (deadline_ns >= 0) wake = std::min(wake, deadline_ns);
      // Conditions (preload done, drained) are polled: 20 ms late is fine for either.
      if (done) wake = std::min(wake, now + 20'000'000);
      std::this_thread::sleep_until(context_.t0 + std::chrono::nanoseconds(wake));
    }
  }

  // Takes every worker's mailbox: progress counts, CSV records, preload state, requests in flight.
  void collect(bool final) {
    std::string rows;
    bool all_preloaded = true;
    std::size_t outstanding = 0;
    std::uint64_t preload_failed = 0;
    for (auto& worker : workers_) {
      Worker::Progress p = worker->take_progress();
      second_.merge(p.second);
      outstanding += p.outstanding;
      all_preloaded = all_preloaded && p.preload_done;
      preload_failed += p.preload_failed;
      for (const RequestRecord& r : p.records) write_csv_row(rows, r, epoch_ns_at_t0_);
    }
    if (csv_ && !rows.empty()) csv_->write(rows.data(), static_cast<std::streamsize>(rows.size()));
    if (!final) {
      preload_done_ = all_preloaded;
      outstanding_ = outstanding;
      preload_failed_ = preload_failed;
    }
  }

  void print_progress(std::int64_t now) {
    if (!options_.quiet && now > 0) {
      const double window_s = static_cast<double>(now - last_progress_ns_) / 1e9;
      err_ << progress_line(static_cast<double>(now) / 1e9, phase_name_, second_, window_s,
                            outstanding_)
           << '\n';
    }
    second_.clear();
    last_progress_ns_ = now;
  }

  const BenchOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  RunContext context_;
  std::int64_t epoch_ns_at_t0_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<std::ofstream> json_;
  std::optional<std::ofstream> csv_;
  std::vector<double> elapsed_s_;

  std::string phase_name_;
  std::int64_t phase_start_ns_ = 0;
  std::int64_t next_progress_ns_ = kSecondNs;
  std::int64_t last_progress_ns_ = 0;
  OpStats second_;
  std::size_t outstanding_ = 0;
  bool preload_done_ = false;
  std::uint64_t preload_failed_ = 0;
  std::size_t abandoned_ = 0;
};

}  // namespace

int run_bench(const BenchOptions& options, std::ostream& out, std::ostream& err) {
  return Run(options, out, err).execute();
}

}  // namespace paxoskv::bench
