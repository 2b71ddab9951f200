#include "memory_storage.h"

#include "assert.h"

namespace paxoskv::paxos {

void MemoryStorage::append(std::span<const Entry> entries) {
  log_.insert(log_.end(), entries.begin(), entries.end());
}

void MemoryStorage::truncate(LogIndex from) {
  if (from.value() < log_.size()) log_.resize(from.value());
}

void MemoryStorage::read(LogIndex from, LogIndex to, std::vector<Entry>& out) const {
  PAXOS_ASSERT(from <= to && to.value() <= log_.size(), "read outside the log");
  out.insert(out.end(), log_.begin() + static_cast<std::ptrdiff_t>(from.value()),
             log_.begin() + static_cast<std::ptrdiff_t>(to.value()));
}

}  // namespace paxoskv::paxos
