// Always-on assertions for the KV state machine.
//
// A failed KV_ASSERT is a bug in paxoskv (for example the server applying log indices out of
// order), never bad client input: invalid commands are answered with Status::kBadRequest. The
// check stays on in release builds because a replica that keeps applying after a broken invariant
// diverges silently from the others.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace paxoskv::kv_detail {

[[noreturn]] inline void kv_assertion_failed(const char* expr, const char* msg, const char* file,
                                             int line) {
  std::fprintf(stderr, "paxoskv: kv assertion failed at %s:%d: %s (%s)\n", file, line, expr, msg);
  std::fflush(stderr);
  std::abort();
}

}  // namespace paxoskv::kv_detail

#define KV_ASSERT(cond, msg)                                                     \
  do {                                                                           \
    if (!(cond)) [[unlikely]]                                                    \
      ::paxoskv::kv_detail::kv_assertion_failed(#cond, msg, __FILE__, __LINE__); \
  } while (0)
