// Storage kept in memory. `sync()` does nothing: this implementation is for tests, benchmarks and
// the simulator (wrapped in a fault-injecting storage that models what a crash loses).
#pragma once

#include <vector>

#include "storage.h"

namespace paxoskv::paxos {

class MemoryStorage final : public Storage {
 public:
  LogIndex log_end() const override { return LogIndex(log_.size()); }
  void append(std::span<const Entry> entries) override;
  void truncate(LogIndex from) override;
  void read(LogIndex from, LogIndex to, std::vector<Entry>& out) const override;

  Ballot promise() const override { return promise_; }
  void set_promise(const Ballot& ballot) override { promise_ = ballot; }
  Ballot accepted_round() const override { return accepted_round_; }
  void set_accepted_round(const Ballot& ballot) override { accepted_round_ = ballot; }
  LogIndex decided_idx() const override { return decided_idx_; }
  void set_decided_idx(LogIndex index) override { decided_idx_ = index; }

  void sync() override {}

  // Direct access for tests that compare logs.
  const std::vector<Entry>& entries() const { return log_; }

 private:
  std::vector<Entry> log_;
  Ballot promise_;
  Ballot accepted_round_;
  LogIndex decided_idx_;
};

}  // namespace paxoskv::paxos
