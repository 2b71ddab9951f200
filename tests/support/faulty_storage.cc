#include "faulty_storage.h"

namespace paxoskv::testing {

using paxos::Ballot;
using paxos::Entry;
using paxos::LogIndex;

void FaultyStorage::append(std::span<const Entry> entries) {
  if (entries.empty()) return;
  current_.append(entries);
  pending_.push_back(Append{{entries.begin(), entries.end()}});
}

void FaultyStorage::truncate(LogIndex from) {
  if (from < current_.decided_idx() && violation_.empty()) {
    violation_ = "truncate(" + std::to_string(from.value()) + ") below decided index " +
                 std::to_string(current_.decided_idx().value());
  }
  if (from >= current_.log_end()) return;
  current_.truncate(from);
  pending_.push_back(Truncate{from});
}

void FaultyStorage::set_promise(const Ballot& ballot) {
  if (ballot < current_.promise() && violation_.empty()) violation_ = "promise decreased";
  current_.set_promise(ballot);
  pending_.push_back(SetPromise{ballot});
}

void FaultyStorage::set_accepted_round(const Ballot& ballot) {
  if (ballot > current_.promise() && violation_.empty()) {
    violation_ = "accepted a round above the promise";
  }
  current_.set_accepted_round(ballot);
  pending_.push_back(SetAcceptedRound{ballot});
}

void FaultyStorage::set_decided_idx(LogIndex index) {
  if (index > current_.log_end() && violation_.empty()) {
    violation_ = "decided index " + std::to_string(index.value()) + " beyond log end " +
                 std::to_string(current_.log_end().value());
  }
  current_.set_decided_idx(index);
  pending_.push_back(SetDecided{index});
}

void FaultyStorage::sync() {
  ++syncs_;
  for (Write& w : pending_) {
    std::visit(
        [&](auto& op) {
          using T = std::decay_t<decltype(op)>;
          if constexpr (std::is_same_v<T, Append>) {
            durable_.append(op.entries);
          } else if constexpr (std::is_same_v<T, Truncate>) {
            durable_.truncate(op.from);
          } else if constexpr (std::is_same_v<T, SetPromise>) {
            durable_.set_promise(op.ballot);
          } else if constexpr (std::is_same_v<T, SetAcceptedRound>) {
            durable_.set_accepted_round(op.ballot);
          } else {
            durable_.set_decided_idx(op.index);
          }
        },
        w);
  }
  pending_.clear();
}

void FaultyStorage::crash() {
  pending_.clear();
  current_ = durable_;
}

}  // namespace paxoskv::testing
