// Small POSIX file helpers for opening and recovering a data directory, and its lock.
//
// These return errors as values: they run inside DiskStorage::open(), whose caller decides how to
// report a failure. The write path of a running node (WalWriter) calls fatal() instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "result.h"

namespace paxoskv::storage {

// Reads the whole file into `out` (replacing its contents).
Status read_file(const std::string& path, std::string& out);
// Cuts the file to `size` bytes and fsyncs it, so that the cut survives a power loss.
Status truncate_file(const std::string& path, std::uint64_t size);
// Removes a file; the caller fsyncs the directory afterwards.
Status remove_file(const std::string& path);
// Makes a directory's entries (created, removed or renamed files) durable.
Status fsync_directory(const std::string& path);
// Creates `path` if missing (its parent must exist) and makes the creation durable.
Status ensure_directory(const std::string& path);
// Names of the regular files in `path`, sorted.
Status list_files(const std::string& path, std::vector<std::string>& names);

// An exclusive flock() on <dir>/LOCK for as long as the object lives. flock locks belong to the
// open file description, so a second acquire() fails even from the same process, which is what
// lets tests check the lock without a second process. The holder's pid is written into the file
// for the error message only; the lock itself is the flock, so a stale pid after a crash is
// harmless (the kernel released the lock with the process).
class DirLock {
 public:
  static Result<std::unique_ptr<DirLock>> acquire(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace paxoskv::storage
