// Records the largest single heap allocation made while a tracking scope is open, so that tests
// can prove a hostile length field is rejected before the decoder allocates for it. Works by
// replacing the global operator new in the test binary (alloc_tracker.cc).
#pragma once

#include <cstddef>

namespace paxoskv::testing {

class LargestAllocation {
 public:
  LargestAllocation();
  ~LargestAllocation();
  LargestAllocation(const LargestAllocation&) = delete;
  LargestAllocation& operator=(const LargestAllocation&) = delete;
  // The largest single allocation, in bytes, since construction (on this thread).
  std::size_t bytes() const;
};

}  // namespace paxoskv::testing
