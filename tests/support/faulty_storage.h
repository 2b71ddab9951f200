// A fault-injecting Storage for tests: models exactly what the durability contract of
// src/paxos/storage.h promises and no more.
//
// Writes go to a volatile view at once and are remembered as a batch; `sync()` applies the batch
// to the durable state. `crash()` throws the volatile view away, as a power loss would: the node
// restarts with the state of its last completed sync. It also watches the core: truncating a
// decided entry is recorded as a violation.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "paxos/memory_storage.h"

namespace paxoskv::testing {

class FaultyStorage final : public paxos::Storage {
 public:
  paxos::LogIndex log_end() const override { return current_.log_end(); }
  void append(std::span<const paxos::Entry> entries) override;
  void truncate(paxos::LogIndex from) override;
  void read(paxos::LogIndex from, paxos::LogIndex to,
            std::vector<paxos::Entry>& out) const override {
    current_.read(from, to, out);
  }

  paxos::Ballot promise() const override { return current_.promise(); }
  void set_promise(const paxos::Ballot& ballot) override;
  paxos::Ballot accepted_round() const override { return current_.accepted_round(); }
  void set_accepted_round(const paxos::Ballot& ballot) override;
  paxos::LogIndex decided_idx() const override { return current_.decided_idx(); }
  void set_decided_idx(paxos::LogIndex index) override;

  void sync() override;

  // Loses every write since the last sync.
  void crash();
  // Whether there are writes that a crash would lose.
  bool dirty() const { return !pending_.empty(); }
  const paxos::MemoryStorage& durable() const { return durable_; }
  std::uint64_t syncs() const { return syncs_; }
  // Empty unless the core broke the storage contract (for example truncated a decided entry).
  const std::string& violation() const { return violation_; }

 private:
  struct Append {
    std::vector<paxos::Entry> entries;
  };
  struct Truncate {
    paxos::LogIndex from;
  };
  struct SetPromise {
    paxos::Ballot ballot;
  };
  struct SetAcceptedRound {
    paxos::Ballot ballot;
  };
  struct SetDecided {
    paxos::LogIndex index;
  };
  using Write = std::variant<Append, Truncate, SetPromise, SetAcceptedRound, SetDecided>;

  paxos::MemoryStorage current_;
  paxos::MemoryStorage durable_;
  std::vector<Write> pending_;
  std::uint64_t syncs_ = 0;
  std::string violation_;
};

}  // namespace paxoskv::testing
