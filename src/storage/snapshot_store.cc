#include "snapshot_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "crc32c.h"
#include "fatal.h"
#include "fs_util.h"
#include "paxos/assert.h"
#include "snapshot_file.h"

namespace paxoskv::storage {

using paxos::LogIndex;

namespace {

constexpr std::string_view kTmpSuffix = ".tmp";

// ---- the running node's file operations: a failure ends the process (fatal.h) ----

void write_all_or_die(int fd, std::uint64_t offset, std::string_view bytes,
                      const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fatal(errno_message("write to " + path + " failed", errno));
    done += static_cast<std::size_t>(n);
  }
}

void fsync_or_die(int fd, const std::string& path) {
  if (::fsync(fd) != 0) fatal(errno_message("fsync of " + path + " failed", errno));
}

void fsync_dir_or_die(const std::string& dir) {
  if (Status s = fsync_directory(dir)) fatal(s->message);
}

void rename_or_die(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    fatal(errno_message("cannot rename " + from + " to " + to, errno));
  }
}

int create_or_die(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fatal(errno_message("cannot create " + path, errno));
  return fd;
}

StorageError corrupt(const std::string& path, const std::string& why) {
  return StorageError{StorageError::Kind::kCorrupt, "corrupt snapshot " + path + ": " + why};
}

}  // namespace

// ---- opening ----

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::open(const std::string& data_dir,
                                                           const SnapshotStoreOptions& options) {
  PAXOS_ASSERT(options.keep >= 1, "a snapshot store keeps at least one snapshot");
  if (Status s = ensure_directory(data_dir)) return *s;
  const std::string dir = data_dir + "/snapshots";
  if (Status s = ensure_directory(dir)) return *s;
  std::vector<std::string> names;
  if (Status s = list_files(dir, names)) return *s;
  std::vector<SnapshotInfo> held;
  bool removed = false;
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    if (name.ends_with(kTmpSuffix)) {
      // A write or a transfer that a crash interrupted: never renamed, so never used.
      if (Status s = remove_file(path)) return *s;
      removed = true;
      spdlog::info("removed unfinished snapshot file {}", path);
    } else if (const auto index = snapshot::parse_file_name(name)) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        return StorageError{StorageError::Kind::kIo, errno_message("cannot stat " + path, errno)};
      }
      held.push_back(SnapshotInfo{*index, path, static_cast<std::uint64_t>(st.st_size)});
    } else if (!name.ends_with(".corrupt")) {
      spdlog::warn("ignoring {}: not a snapshot file name", path);
    }
  }
  std::sort(held.begin(), held.end(),
            [](const SnapshotInfo& a, const SnapshotInfo& b) { return a.index < b.index; });
  // The newest is what a restart uses: check all of it now. Older ones are checked by load().
  while (!held.empty()) {
    const SnapshotInfo& newest = held.back();
    std::string bytes;
    if (Status s = read_file(newest.path, bytes)) return *s;
    const std::string why = snapshot::verify_file(bytes, newest.index);
    if (why.empty()) break;
    if (!options.repair) {
      StorageError e = corrupt(newest.path, why);
      e.message += "; start with --repair to set it aside and use the next newest snapshot";
      return e;
    }
    const std::string aside = newest.path + ".corrupt";
    if (::rename(newest.path.c_str(), aside.c_str()) != 0) {
      return StorageError{StorageError::Kind::kIo,
                          errno_message("cannot rename " + newest.path, errno)};
    }
    removed = true;
    spdlog::warn("repair: corrupt snapshot {} ({}) moved aside to {}; using the next newest",
                 newest.path, why, aside);
    held.pop_back();
  }
  if (removed) {
    if (Status s = fsync_directory(dir)) return *s;
  }
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(dir, options, std::move(held)));
}

SnapshotStore::SnapshotStore(std::string dir, const SnapshotStoreOptions& options,
                             std::vector<SnapshotInfo> held)
    : dir_(std::move(dir)), options_(options), held_(std::move(held)) {}

// ---- reading ----

std::optional<SnapshotInfo> SnapshotStore::latest() const {
  if (held_.empty()) return std::nullopt;
  return held_.back();
}

std::uint64_t SnapshotStore::bytes() const {
  std::uint64_t total = 0;
  for (const SnapshotInfo& s : held_) total += s.size_bytes;
  return total;
}

const SnapshotInfo* SnapshotStore::find(LogIndex index) const {
  for (const SnapshotInfo& s : held_) {
    if (s.index == index) return &s;
  }
  return nullptr;
}

Result<std::string> SnapshotStore::load(LogIndex index) const {
  const SnapshotInfo* info = find(index);
  if (info == nullptr) {
    return StorageError{StorageError::Kind::kNotFound,
                        "no snapshot at index " + std::to_string(index.value()) + " in " + dir_};
  }
  std::string bytes;
  if (Status s = read_file(info->path, bytes)) return *s;
  if (std::string why = snapshot::verify_file(bytes, index); !why.empty()) {
    return corrupt(info->path, why);
  }
  bytes.erase(0, snapshot::kHeaderBytes);
  return bytes;
}

Result<SnapshotChunk> SnapshotStore::read_chunk(LogIndex index, std::uint64_t offset,
                                                std::size_t max_bytes) const {
  PAXOS_ASSERT(max_bytes > 0, "read_chunk: max_bytes must be positive");
  const SnapshotInfo* info = find(index);
  const std::string not_held =
      "snapshot " + std::to_string(index.value()) + " is not held (pruned, or never written)";
  if (info == nullptr) return StorageError{StorageError::Kind::kNotFound, not_held};
  const int fd = ::open(info->path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return StorageError{StorageError::Kind::kNotFound, not_held};
  if (fd < 0) {
    return StorageError{StorageError::Kind::kIo, errno_message("cannot open " + info->path, errno)};
  }
  SnapshotChunk chunk;
  chunk.offset = offset;
  chunk.total_bytes = info->size_bytes;
  if (offset > chunk.total_bytes) {
    ::close(fd);
    return StorageError{StorageError::Kind::kRejected,
                        "chunk offset " + std::to_string(offset) + " is past the end of " +
                            info->path + " (" + std::to_string(chunk.total_bytes) + " bytes)"};
  }
  chunk.data.resize(std::min<std::uint64_t>(max_bytes, chunk.total_bytes - offset));
  std::size_t done = 0;
  while (done < chunk.data.size()) {
    const ssize_t n = ::pread(fd, chunk.data.data() + done, chunk.data.size() - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n == 0 ? EIO : errno;  // shorter than when listed: not ours to explain
      ::close(fd);
      return StorageError{StorageError::Kind::kIo, errno_message("cannot read " + info->path, err)};
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return chunk;
}

// ---- writing ----

void SnapshotStore::write(LogIndex index, std::string_view payload) {
  const std::string path = dir_ + "/" + snapshot::file_name(index);
  const std::string tmp = path + std::string(kTmpSuffix);
  const std::string header =
      snapshot::encode_header(snapshot::Header{index, payload.size(), crc32c(payload)});
  const int fd = create_or_die(tmp);
  write_all_or_die(fd, 0, header, tmp);
  write_all_or_die(fd, header.size(), payload, tmp);
  fsync_or_die(fd, tmp);  // the bytes before the name: a crash never shows a torn snapshot
  ::close(fd);
  rename_or_die(tmp, path);
  fsync_dir_or_die(dir_);
  add_and_prune(SnapshotInfo{index, path, header.size() + payload.size()});
}

void SnapshotStore::add_and_prune(SnapshotInfo info) {
  std::erase_if(held_, [&](const SnapshotInfo& s) { return s.index == info.index; });
  held_.insert(std::upper_bound(
                   held_.begin(), held_.end(), info,
                   [](const SnapshotInfo& a, const SnapshotInfo& b) { return a.index < b.index; }),
               std::move(info));
  if (held_.size() <= options_.keep) return;
  const std::size_t drop = held_.size() - options_.keep;
  for (std::size_t i = 0; i < drop; ++i) {
    if (Status s = remove_file(held_[i].path)) fatal(s->message);
    spdlog::info("pruned snapshot {}", held_[i].path);
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(drop));
  fsync_dir_or_die(dir_);
}

// ---- receiving ----

Result<std::unique_ptr<SnapshotReceiver>> SnapshotStore::begin_receive(LogIndex index,
                                                                       std::uint64_t total_bytes) {
  if (total_bytes < snapshot::kHeaderBytes ||
      total_bytes - snapshot::kHeaderBytes > options_.receive_bytes_max) {
    return StorageError{
        StorageError::Kind::kRejected,
        "snapshot " + std::to_string(index.value()) + " of " + std::to_string(total_bytes) +
            " bytes: a snapshot file has " + std::to_string(snapshot::kHeaderBytes) + " to " +
            std::to_string(snapshot::kHeaderBytes + options_.receive_bytes_max) + " bytes"};
  }
  // A name of its own, so two transfers never share a file; open() removes it after a crash.
  const std::string tmp = dir_ + "/" + snapshot::file_name(index) + ".recv-" +
                          std::to_string(next_receive_id_++) + std::string(kTmpSuffix);
  const int fd = create_or_die(tmp);
  return std::unique_ptr<SnapshotReceiver>(
      new SnapshotReceiver(*this, index, total_bytes, tmp, fd));
}

SnapshotReceiver::SnapshotReceiver(SnapshotStore& store, LogIndex index, std::uint64_t total_bytes,
                                   std::string tmp_path, int fd)
    : store_(store), index_(index), total_(total_bytes), tmp_path_(std::move(tmp_path)), fd_(fd) {}

SnapshotReceiver::~SnapshotReceiver() {
  abort();
}

Result<std::uint64_t> SnapshotReceiver::add(std::uint64_t offset, std::string_view bytes) {
  if (fd_ < 0) return StorageError{StorageError::Kind::kRejected, "the transfer has ended"};
  if (offset != received_) {
    return StorageError{StorageError::Kind::kRejected,
                        "snapshot chunk at offset " + std::to_string(offset) + " but " +
                            std::to_string(received_) +
                            " bytes were received so far (out of order or overlapping)"};
  }
  if (bytes.size() > total_ - received_) {
    return StorageError{StorageError::Kind::kRejected,
                        "snapshot chunk of " + std::to_string(bytes.size()) + " bytes at offset " +
                            std::to_string(offset) + " runs past the announced " +
                            std::to_string(total_) + " bytes"};
  }
  write_all_or_die(fd_, offset, bytes, tmp_path_);
  // The checks of finish() without reading the file back: keep the header, CRC the payload.
  const std::size_t header_part =
      header_.size() < snapshot::kHeaderBytes
          ? std::min(bytes.size(), snapshot::kHeaderBytes - header_.size())
          : 0;
  header_.append(bytes.substr(0, header_part));
  payload_crc_ = crc32c(payload_crc_, bytes.data() + header_part, bytes.size() - header_part);
  received_ += bytes.size();
  return received_;
}

Result<SnapshotInfo> SnapshotReceiver::finish() {
  if (fd_ < 0) return StorageError{StorageError::Kind::kRejected, "the transfer has ended"};
  if (received_ != total_) {
    return reject("incomplete: " + std::to_string(received_) + " of " + std::to_string(total_) +
                  " bytes received");
  }
  std::string reason;
  const std::optional<snapshot::Header> h = snapshot::decode_header(header_, reason);
  if (!h) return reject(reason);
  if (h->index != index_) {
    return reject("header says index " + std::to_string(h->index.value()) + ", not " +
                  std::to_string(index_.value()));
  }
  if (h->payload_bytes != total_ - snapshot::kHeaderBytes) {
    return reject("header says " + std::to_string(h->payload_bytes) + " payload bytes but " +
                  std::to_string(total_ - snapshot::kHeaderBytes) + " were sent");
  }
  if (h->payload_crc != payload_crc_) return reject("payload checksum mismatch");
  fsync_or_die(fd_, tmp_path_);
  ::close(fd_);
  fd_ = -1;
  const std::string path = store_.dir_ + "/" + snapshot::file_name(index_);
  rename_or_die(tmp_path_, path);
  fsync_dir_or_die(store_.dir_);
  SnapshotInfo info{index_, path, total_};
  store_.add_and_prune(info);
  return info;
}

Result<SnapshotInfo> SnapshotReceiver::reject(std::string why) {
  abort();
  return StorageError{
      StorageError::Kind::kRejected,
      "received snapshot " + std::to_string(index_.value()) + " is invalid: " + why};
}

void SnapshotReceiver::abort() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  // Not fsynced: if the removal is lost in a crash, open() removes the file again.
  if (Status s = remove_file(tmp_path_)) fatal(s->message);
}

}  // namespace paxoskv::storage
