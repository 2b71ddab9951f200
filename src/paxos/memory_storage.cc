#include "memory_storage.h"

#include "assert.h"

namespace paxoskv::paxos {

void MemoryStorage::append(std::span<const Entry> entries) {
  log_.insert(log_.end(), entries.begin(), entries.end());
}

void MemoryStorage::truncate(LogIndex from) {
  PAXOS_ASSERT(from >= compacted_, "truncate into the trimmed prefix");
  if (from < log_end()) log_.resize(from - compacted_);
}

void MemoryStorage::read(LogIndex from, LogIndex to, std::vector<Entry>& out) const {
  PAXOS_ASSERT(compacted_ <= from && from <= to && to <= log_end(), "read outside the log");
  out.insert(out.end(), log_.begin() + static_cast<std::ptrdiff_t>(from - compacted_),
             log_.begin() + static_cast<std::ptrdiff_t>(to - compacted_));
}

void MemoryStorage::trim(LogIndex index) {
  PAXOS_ASSERT(index <= decided_idx_ && index <= log_end(), "trim of undecided entries");
  if (index <= compacted_) return;
  log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(index - compacted_));
  compacted_ = index;
}

void MemoryStorage::reset_to_snapshot(LogIndex index) {
  log_.clear();
  compacted_ = index;
}

}  // namespace paxoskv::paxos
