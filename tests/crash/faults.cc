#include "faults.h"

#include <signal.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "storage/wal_format.h"

namespace paxoskv::crash {

namespace fs = std::filesystem;

namespace {

struct Segment {
  std::uint64_t first_batch = 0;
  fs::path path;
  std::uint64_t size = 0;
};

// The WAL's segments in replay order (by the batch number in their names).
std::vector<Segment> list_segments(const std::string& dir) {
  std::vector<Segment> segments;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return segments;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    auto first = storage::wal::parse_segment_file_name(e.path().filename().string());
    if (!first || !e.is_regular_file(ec)) continue;
    segments.push_back(Segment{*first, e.path(), static_cast<std::uint64_t>(e.file_size(ec))});
  }
  std::sort(segments.begin(), segments.end(),
            [](const Segment& a, const Segment& b) { return a.first_batch < b.first_batch; });
  return segments;
}

std::uint64_t total_bytes(const std::vector<Segment>& segments) {
  std::uint64_t total = 0;
  for (const Segment& s : segments) total += s.size;
  return total;
}

// Whether any thread of the (frozen) process is blocked inside fdatasync. /proc shows the syscall
// number of a thread blocked in a syscall and "running" otherwise; unreadable means "no", which
// only makes the cut more conservative.
bool in_fdatasync(pid_t pid) {
  std::error_code ec;
  const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const fs::directory_entry& t : fs::directory_iterator(tasks, ec)) {
    std::ifstream f(t.path() / "syscall");
    long nr = -1;
    if (f >> nr && nr == SYS_fdatasync) return true;
  }
  return false;
}

// End offsets of the Commit records in a segment, in order, up to the first record that does not
// decode (a torn tail). The framing and the Commit type come from the server's own decoder, so
// the test cannot disagree with recovery about where a batch ends.
std::vector<std::uint64_t> commit_ends(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream buffer;
  buffer << f.rdbuf();
  const std::string bytes = buffer.str();
  std::vector<std::uint64_t> ends;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const storage::wal::DecodeResult d = storage::wal::decode_record(bytes, offset);
    if (d.status != storage::wal::DecodeStatus::kOk) break;
    offset += d.record.size_bytes;
    if (d.record.type == storage::wal::RecordType::kCommit) ends.push_back(offset);
  }
  return ends;
}

}  // namespace

Faults::Faults(testing::LocalCluster& cluster, const Monitor& monitor)
    : cluster_(cluster), monitor_(monitor), base_bytes_(cluster.size(), 0) {}

std::string Faults::wal_dir(std::size_t node) const {
  // LocalCluster's layout: data_dir = <dir>/data<i>; DiskStorage puts segments in <data_dir>/wal.
  return cluster_.dir() + "/data" + std::to_string(node) + "/wal";
}

std::vector<Killed> Faults::kill(const std::vector<std::size_t>& nodes, bool want_in_fdatasync,
                                 int attempts) {
  std::vector<Killed> killed;
  for (std::size_t node : nodes) {
    if (!cluster_.running(node)) continue;
    Killed k;
    k.node = node;
    k.pid = cluster_.pid(node);
    killed.push_back(k);
  }
  for (int attempt = 1;; ++attempt) {
    for (const Killed& k : killed) ::kill(k.pid, SIGSTOP);
    // Inspect only after every target got its SIGSTOP: what a thread is doing from now on cannot
    // reach the network any more (it stops on its way back to user space).
    bool any = false;
    for (Killed& k : killed) any |= (k.writer_in_fdatasync = in_fdatasync(k.pid));
    if (any || !want_in_fdatasync || attempt >= attempts) break;
    for (const Killed& k : killed) ::kill(k.pid, SIGCONT);
    std::this_thread::sleep_for(std::chrono::microseconds(200 * attempt));
  }
  for (const Killed& k : killed) cluster_.kill(k.node);  // SIGKILL ends a stopped process too
  return killed;
}

CutResult Faults::cut(const Killed& killed, std::mt19937_64& rng, bool unsafe) {
  CutResult r;
  const std::vector<Segment> segments = list_segments(wal_dir(killed.node));
  if (segments.empty()) {
    r.note = "no WAL segment";
    return r;
  }
  const Segment& last = segments.back();
  const std::uint64_t earlier = total_bytes(segments) - last.size;
  r.segment = last.path.string();
  r.size_before = last.size;
  r.size_after = last.size;

  // The status floor: durable bytes of all segments together, as far as the polls saw.
  const std::uint64_t status_total =
      base_bytes_[killed.node - 1] + monitor_.max_wal_bytes(killed.node, killed.pid);
  const std::uint64_t status_floor = status_total > earlier ? status_total - earlier : 0;

  std::uint64_t floor = status_floor;
  if (!unsafe) {
    const std::vector<std::uint64_t> ends = commit_ends(last.path);
    const std::uint64_t last_end = ends.empty() ? 0 : ends.back();
    const std::uint64_t before_last = ends.size() >= 2 ? ends[ends.size() - 2] : 0;
    // Past the last Commit: a torn batch, never durable and never acted on. The complete last
    // batch may go only while its fdatasync was still running (see faults.h).
    std::uint64_t boundary = last_end;
    if (killed.writer_in_fdatasync && last_end == last.size) boundary = before_last;
    floor = std::max(floor, boundary);
  }
  r.floor = std::min(floor, last.size);
  if (r.floor >= last.size) {
    r.note = killed.writer_in_fdatasync ? "nothing unsynced past the status floor"
                                        : "last batch confirmed (writer not in fdatasync)";
    return r;
  }
  // A third of the cuts go exactly to the floor (the most the disk could lose); the rest land
  // anywhere above it, usually inside a record, so recovery sees a torn record.
  std::uint64_t to = r.floor;
  if (std::uniform_int_distribution<int>(0, 2)(rng) != 0) {
    to = std::uniform_int_distribution<std::uint64_t>(r.floor, last.size - 1)(rng);
  }
  std::error_code ec;
  fs::resize_file(last.path, to, ec);
  if (ec) throw std::runtime_error("cannot cut " + r.segment + ": " + ec.message());
  r.cut = true;
  r.size_after = to;
  return r;
}

void Faults::start(std::size_t node) {
  base_bytes_[node - 1] = total_bytes(list_segments(wal_dir(node)));
  cluster_.start(node);
}

bool Faults::exited_on_its_own(std::size_t node) const {
  if (!cluster_.running(node)) return false;
  std::ifstream f("/proc/" + std::to_string(cluster_.pid(node)) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return true;  // gone altogether
  // "pid (comm) S ...": the state follows the last ')' (comm may contain anything).
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

}  // namespace paxoskv::crash
