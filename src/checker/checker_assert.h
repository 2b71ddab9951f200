// Always-on assertions for the linearizability checker.
//
// A failed CHECKER_ASSERT is a bug in the checker or a broken precondition in a caller (for example
// check_history() given an operation that validate_operation() rejects), never bad input read from
// a file: the history reader reports those as HistoryError. The checks stay on in release builds
// because a checker that continues past a broken invariant could print "linearizable" for a
// history that is not.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace paxoskv::checker::detail {

[[noreturn]] inline void checker_assertion_failed(const char* expr, const char* msg,
                                                  const char* file, int line) {
  std::fprintf(stderr, "paxoskv: checker assertion failed at %s:%d: %s (%s)\n", file, line, expr,
               msg);
  std::fflush(stderr);
  std::abort();
}

}  // namespace paxoskv::checker::detail

#define CHECKER_ASSERT(cond, msg)                                                           \
  do {                                                                                      \
    if (!(cond)) [[unlikely]]                                                               \
      ::paxoskv::checker::detail::checker_assertion_failed(#cond, msg, __FILE__, __LINE__); \
  } while (0)
