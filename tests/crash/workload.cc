#include "workload.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <memory>

#include "client/client.h"

namespace paxoskv::crash {

std::string write_key(std::size_t writer, std::uint64_t n) {
  return "w" + std::to_string(writer) + "-" + std::to_string(n);
}

std::string write_value(std::size_t writer, std::uint64_t n) {
  return std::to_string(writer) + "-" + std::to_string(n);
}

std::optional<std::pair<std::size_t, std::uint64_t>> parse_write_key(const std::string& key) {
  if (key.size() < 4 || key[0] != 'w') return std::nullopt;
  const std::size_t dash = key.find('-');
  if (dash == std::string::npos || dash == 1 || dash + 1 == key.size()) return std::nullopt;
  std::size_t writer = 0;
  std::uint64_t n = 0;
  const char* begin = key.data();
  auto [p1, e1] = std::from_chars(begin + 1, begin + dash, writer);
  auto [p2, e2] = std::from_chars(begin + dash + 1, begin + key.size(), n);
  if (e1 != std::errc() || p1 != begin + dash || e2 != std::errc() || p2 != begin + key.size()) {
    return std::nullopt;
  }
  // Reject non-canonical spellings ("w01-2"): they cannot be keys a writer produced.
  if (key != write_key(writer, n)) return std::nullopt;
  return std::make_pair(writer, n);
}

Workload::Workload(std::vector<std::string> endpoints, std::size_t writers,
                   std::chrono::milliseconds request_timeout)
    : endpoints_(std::move(endpoints)), request_timeout_(request_timeout), logs_(writers) {}

Workload::~Workload() {
  stop();
}

void Workload::start() {
  stopping_ = false;
  for (std::size_t i = 0; i < logs_.size(); ++i) threads_.emplace_back([this, i] { run(i); });
}

void Workload::stop() {
  stopping_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Workload::run(std::size_t writer) {
  WriterLog& log = logs_[writer];
  try {
    client::ClientOptions options;
    options.endpoints = endpoints_;
    // Long enough to ride out a leader election plus a restart of every node (the power-loss
    // fault), short enough that stop() stays bounded. A write still unanswered after this is
    // "unknown", which the checks allow for. Every fourth writer gives up after 500 ms instead, so
    // that some writes really end unknown (a failover alone rarely takes 4 s) and the checks of
    // unknown outcomes -- applied at most once, or not at all -- have something to check.
    options.request_timeout = writer % 4 == 0
                                  ? std::min(request_timeout_, std::chrono::milliseconds(500))
                                  : request_timeout_;
    // Short attempts: a killed node's connection must be abandoned quickly, not after a second.
    options.attempt_timeout = std::chrono::milliseconds(300);
    auto kv = std::make_unique<client::Client>(options);
    for (std::uint64_t n = 0; !stopping_.load(std::memory_order_relaxed); ++n) {
      // Recorded before sending: if the put throws, the key still counts as attempted (unknown).
      log.writes.push_back(WriteRecord{});
      const Response r = kv->put(write_key(writer, n), write_value(writer, n));
      WriteRecord& w = log.writes.back();
      w.status = r.status;
      if (r.status == Status::kOk) {
        w.outcome = Outcome::kAcked;
        w.revision = r.revision;
        acked_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      w.outcome = Outcome::kUnknown;
      ++log.statuses[r.status];
      unknown_.fetch_add(1, std::memory_order_relaxed);
      if (r.status == Status::kSessionExpired) {
        // The server forgot this session: a new client (new random id) is the documented way on.
        kv = std::make_unique<client::Client>(options);
        ++log.new_sessions;
      }
    }
  } catch (const std::exception& e) {
    log.error = e.what();
  }
}

}  // namespace paxoskv::crash
