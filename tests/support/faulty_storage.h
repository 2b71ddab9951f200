// A fault-injecting Storage for tests: models exactly what the durability contract of
// src/paxos/storage.h promises and no more.
//
// Writes go to a volatile view at once and are remembered as a batch; `sync()` applies the batch
// to the durable state. `crash()` throws the volatile view away, as a power loss would: the node
// restarts with the state of its last completed sync. Trimming and resetting to a snapshot are
// writes like the others: a crash before the next sync brings the trimmed entries back.
//
// It also watches the core; each of these is recorded as a violation (and the offending write is
// not applied, so a test reports it instead of tripping an assertion):
// - truncating a decided entry, or into the trimmed prefix;
// - deciding beyond the log end;
// - trimming entries that are not decided (or beyond the log end);
// - a sync that would make durable a state where decided > log_end or compacted > decided (for
//   example a reset_to_snapshot below the decided index that the core did not follow up).
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

  paxos::LogIndex compacted_idx() const override { return current_.compacted_idx(); }
  void trim(paxos::LogIndex index) override;
  void reset_to_snapshot(paxos::LogIndex index) override;

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
  // The same, ignoring new decided indices: the server lets those wait for the next batch it has
  // to write anyway (DiskStorage::has_unsealed_writes_beyond_decided_idx), because no message
  // vouches for a durable decided index.
  bool dirty_beyond_decided_idx() const;
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
  struct Trim {
    paxos::LogIndex index;
  };
  struct ResetToSnapshot {
    paxos::LogIndex index;
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
  using Write = std::variant<Append, Truncate, Trim, ResetToSnapshot, SetPromise, SetAcceptedRound,
                             SetDecided>;

  static void apply(paxos::MemoryStorage& to, const Write& write);
  void violate(std::string what);

  paxos::MemoryStorage current_;
  paxos::MemoryStorage durable_;
  std::vector<Write> pending_;
  std::uint64_t syncs_ = 0;
  std::string violation_;
};

}  // namespace paxoskv::testing
