#include "alloc_tracker.h"

#include <cstdlib>
#include <new>

namespace {

// Per thread, so that gtest's or RapidCheck's own threads (if any) cannot disturb a measurement.
thread_local int tracking_depth = 0;
thread_local std::size_t largest_bytes = 0;

void* allocate(std::size_t n) {
  if (tracking_depth > 0 && n > largest_bytes) largest_bytes = n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

}  // namespace

namespace paxoskv::testing {

LargestAllocation::LargestAllocation() {
  ++tracking_depth;
  largest_bytes = 0;
}
LargestAllocation::~LargestAllocation() {
  --tracking_depth;
}
std::size_t LargestAllocation::bytes() const {
  return largest_bytes;
}

}  // namespace paxoskv::testing

// Replacements of the global (non-aligned) allocation functions; the nothrow and aligned forms
// keep their library definitions, which forward here or use their own matching deallocation.
void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
