// The third error tier (docs/style.md): environmental dead ends that no caller can handle.
//
// Used for disk errors while the node runs (EIO or ENOSPC on write or fdatasync). After a failed
// fsync the kernel may already have dropped the dirty pages and cleared the error, so a retry can
// "succeed" without the data being on disk; the only safe reaction is to stop, and to recover from
// what is really on disk at the next start (the "fsyncgate" lesson from PostgreSQL).
//
// Expected outcomes, including a locked or corrupt data directory at startup, are return values
// instead (see DiskStorage::open), so the server decides how to report them.
#pragma once

#include <string>
#include <string_view>

namespace paxoskv::storage {

// The exit status of fatal(): 70 is EX_SOFTWARE in <sysexits.h>. It is not EX_IOERR (74) because
// supervisors and scripts should treat every fatal stop of a node the same way: do not restart in
// a loop, get a human to look at the log line.
inline constexpr int kFatalExitStatus = 70;

// Logs `what` at critical level through spdlog and on stderr, then ends the process at once with
// kFatalExitStatus. It does not run static destructors or atexit handlers, which other threads may
// still be using, and it never returns.
[[noreturn]] void fatal(std::string_view what);

// "<what>: <strerror(err)>" for fatal messages about a failed system call.
std::string errno_message(std::string_view what, int err);

}  // namespace paxoskv::storage
