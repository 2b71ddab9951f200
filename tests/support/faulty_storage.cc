#include "faulty_storage.h"

namespace paxoskv::testing {

using paxos::Ballot;
using paxos::Entry;
using paxos::LogIndex;

namespace {
std::string str(LogIndex i) {
  return std::to_string(i.value());
}
}  // namespace

void FaultyStorage::violate(std::string what) {
  if (violation_.empty()) violation_ = std::move(what);
}

void FaultyStorage::append(std::span<const Entry> entries) {
  if (entries.empty()) return;
  current_.append(entries);
  pending_.push_back(Append{{entries.begin(), entries.end()}});
}

void FaultyStorage::truncate(LogIndex from) {
  if (from < current_.decided_idx()) {
    violate("truncate(" + str(from) + ") below decided index " + str(current_.decided_idx()));
  }
  if (from < current_.compacted_idx()) {
    violate("truncate(" + str(from) + ") below compacted index " + str(current_.compacted_idx()));
    return;
  }
  if (from >= current_.log_end()) return;
  current_.truncate(from);
  pending_.push_back(Truncate{from});
}

void FaultyStorage::trim(LogIndex index) {
  if (index > current_.decided_idx() || index > current_.log_end()) {
    violate("trim(" + str(index) + ") above decided index " + str(current_.decided_idx()) +
            " or log end " + str(current_.log_end()));
    return;
  }
  if (index <= current_.compacted_idx()) return;
  current_.trim(index);
  pending_.push_back(Trim{index});
}

void FaultyStorage::reset_to_snapshot(LogIndex index) {
  current_.reset_to_snapshot(index);
  pending_.push_back(ResetToSnapshot{index});
}

void FaultyStorage::set_promise(const Ballot& ballot) {
  if (ballot < current_.promise()) violate("promise decreased");
  current_.set_promise(ballot);
  pending_.push_back(SetPromise{ballot});
}

void FaultyStorage::set_accepted_round(const Ballot& ballot) {
  if (ballot > current_.promise()) violate("accepted a round above the promise");
  current_.set_accepted_round(ballot);
  pending_.push_back(SetAcceptedRound{ballot});
}

void FaultyStorage::set_decided_idx(LogIndex index) {
  if (index > current_.log_end()) {
    violate("decided index " + str(index) + " beyond log end " + str(current_.log_end()));
  }
  current_.set_decided_idx(index);
  pending_.push_back(SetDecided{index});
}

void FaultyStorage::apply(paxos::MemoryStorage& to, const Write& write) {
  std::visit(
      [&](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, Append>) {
          to.append(op.entries);
        } else if constexpr (std::is_same_v<T, Truncate>) {
          to.truncate(op.from);
        } else if constexpr (std::is_same_v<T, Trim>) {
          to.trim(op.index);
        } else if constexpr (std::is_same_v<T, ResetToSnapshot>) {
          to.reset_to_snapshot(op.index);
        } else if constexpr (std::is_same_v<T, SetPromise>) {
          to.set_promise(op.ballot);
        } else if constexpr (std::is_same_v<T, SetAcceptedRound>) {
          to.set_accepted_round(op.ballot);
        } else {
          to.set_decided_idx(op.index);
        }
      },
      write);
}

bool FaultyStorage::dirty_beyond_decided_idx() const {
  for (const Write& w : pending_) {
    if (!std::holds_alternative<SetDecided>(w)) return true;
  }
  return false;
}

void FaultyStorage::sync() {
  ++syncs_;
  // The same writes in the same order as current_ saw them, so every precondition that held
  // there holds here.
  for (const Write& w : pending_) apply(durable_, w);
  pending_.clear();
  // What a crash may now leave behind must be a state the core can restart from.
  if (durable_.decided_idx() > durable_.log_end()) {
    violate("synced decided index " + str(durable_.decided_idx()) + " beyond log end " +
            str(durable_.log_end()));
  }
  if (durable_.compacted_idx() > durable_.decided_idx()) {
    violate("synced compacted index " + str(durable_.compacted_idx()) + " above decided index " +
            str(durable_.decided_idx()));
  }
}

void FaultyStorage::crash() {
  pending_.clear();
  current_ = durable_;
}

}  // namespace paxoskv::testing
