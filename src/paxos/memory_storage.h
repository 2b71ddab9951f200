// Storage kept in memory. `sync()` does nothing: this implementation is for tests, benchmarks and
// the simulator (wrapped in a fault-injecting storage that models what a crash loses).
//
// The log is one vector holding [compacted_idx(), log_end()); trim() erases its front, which is
// linear in what is kept. That is fine at test sizes; DiskStorage keeps a deque instead.
#pragma once

#include <vector>

#include "storage.h"

namespace paxoskv::paxos {

class MemoryStorage final : public Storage {
 public:
  LogIndex log_end() const override { return compacted_ + log_.size(); }
  void append(std::span<const Entry> entries) override;
  void truncate(LogIndex from) override;
  void read(LogIndex from, LogIndex to, std::vector<Entry>& out) const override;

  LogIndex compacted_idx() const override { return compacted_; }
  void trim(LogIndex index) override;
  void reset_to_snapshot(LogIndex index) override;

  Ballot promise() const override { return promise_; }
  void set_promise(const Ballot& ballot) override { promise_ = ballot; }
  Ballot accepted_round() const override { return accepted_round_; }
  void set_accepted_round(const Ballot& ballot) override { accepted_round_ = ballot; }
  LogIndex decided_idx() const override { return decided_idx_; }
  void set_decided_idx(LogIndex index) override { decided_idx_ = index; }

  void sync() override {}

  // Direct access for tests that compare logs: the entries [compacted_idx(), log_end()).
  const std::vector<Entry>& entries() const { return log_; }

 private:
  std::vector<Entry> log_;  // the entries from compacted_ on
  LogIndex compacted_;
  Ballot promise_;
  Ballot accepted_round_;
  LogIndex decided_idx_;
};

}  // namespace paxoskv::paxos
