#include "fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fatal.h"

namespace paxoskv::storage {
namespace {

StorageError io_error(const std::string& what, int err) {
  return StorageError{StorageError::Kind::kIo, errno_message(what, err)};
}

// Closes a descriptor on scope exit (these helpers have several early returns).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string parent_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Status read_file(const std::string& path, std::string& out) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open " + path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat " + path, errno);
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read " + path, errno);
    if (n == 0) break;  // shrank under us; only a foreign process could do that
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return std::nullopt;
}

Status truncate_file(const std::string& path, std::uint64_t size) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open " + path, errno);
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return io_error("cannot truncate " + path, errno);
  }
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync " + path, errno);
  return std::nullopt;
}

Status remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return io_error("cannot remove " + path, errno);
  return std::nullopt;
}

Status fsync_directory(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open directory " + path, errno);
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync directory " + path, errno);
  return std::nullopt;
}

Status ensure_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return fsync_directory(parent_of(path));
  if (errno != EEXIST) return io_error("cannot create directory " + path, errno);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return io_error("cannot stat " + path, errno);
  if (!S_ISDIR(st.st_mode)) {
    return StorageError{StorageError::Kind::kIo, path + " exists and is not a directory"};
  }
  return std::nullopt;
}

Status list_files(const std::string& path, std::vector<std::string>& names) {
  names.clear();
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return io_error("cannot list " + path, errno);
  errno = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_type == DT_REG || e->d_type == DT_UNKNOWN) names.emplace_back(e->d_name);
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return io_error("cannot list " + path, err);
  std::sort(names.begin(), names.end());
  return std::nullopt;
}

Result<std::unique_ptr<DirLock>> DirLock::acquire(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return io_error("cannot open lock file " + path, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return io_error("cannot lock " + path, errno);
    char buf[32] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return StorageError{
        StorageError::Kind::kInUse,
        "data directory " + dir + " is in use by another process (pid " + pid + ")"};
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  // Informational only, so no fsync: after a crash the lock is gone anyway. The size is changed
  // only when it must be, because metadata updates are what is slow on a busy disk.
  struct stat st {};
  if (::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()) ||
      ::fstat(fd.get(), &st) != 0 ||
      (static_cast<std::size_t>(st.st_size) != pid.size() &&
       ::ftruncate(fd.get(), static_cast<off_t>(pid.size())) != 0)) {
    return io_error("cannot write lock file " + path, errno);
  }
  return std::unique_ptr<DirLock>(new DirLock(fd.release()));
}

DirLock::~DirLock() {
  ::close(fd_);
}  // closing the last descriptor releases the flock

}  // namespace paxoskv::storage
