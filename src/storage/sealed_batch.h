// One batch of WAL records as DiskStorage::seal_batch() hands it to the WalWriter.
//
// The loop thread decides everything about a batch (which segment it goes to, which old segments
// it makes deletable), so the writer only follows instructions and shares no state with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace paxoskv::storage {

struct SealedBatch {
  // The records, closed by a Commit record; empty when nothing was written since the last seal.
  std::string bytes;
  // The writer closes the current segment and creates a new one, named by this batch's number,
  // for it. Such a batch begins with a Checkpoint record (wal_format.h).
  bool starts_segment = false;
  // Segments (by the number of their first batch, oldest first) that this batch makes obsolete:
  // every entry they appended lies below the log start this batch makes durable. The writer
  // deletes them, oldest first, only after this batch's fdatasync.
  std::vector<std::uint64_t> obsolete_segments;

  bool empty() const { return bytes.empty(); }
  std::size_t size() const { return bytes.size(); }
};

}  // namespace paxoskv::storage
