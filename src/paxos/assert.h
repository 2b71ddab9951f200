// Always-on assertions for the consensus core.
//
// A failed PAXOS_ASSERT means a bug in paxoskv, never bad input: the core validates what it
// receives and answers expected problems with return values. Assertions stay enabled in release
// builds because continuing after a broken invariant could lose acknowledged data.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace paxoskv::paxos::detail {

[[noreturn]] inline void assertion_failed(const char* expr, const char* msg, const char* file,
                                          int line) {
  std::fprintf(stderr, "paxoskv: assertion failed at %s:%d: %s (%s)\n", file, line, expr, msg);
  std::fflush(stderr);
  std::abort();
}

}  // namespace paxoskv::paxos::detail

#define PAXOS_ASSERT(cond, msg)                                                       \
  do {                                                                                \
    if (!(cond)) [[unlikely]]                                                         \
      ::paxoskv::paxos::detail::assertion_failed(#cond, msg, __FILE__, __LINE__);     \
  } while (0)
