#include "wal_recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "fs_util.h"
#include "paxos/assert.h"
#include "wal_format.h"
#include "wal_replay.h"

namespace paxoskv::storage {
namespace {

using wal::DecodeStatus;
using wal::Record;
using wal::RecordType;

struct Segment {
  std::uint64_t first_batch;
  std::string name;
};

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

// Whether the damage at scan.bad_offset in the last segment may be a torn write (see the header).
bool may_be_torn(std::string_view buf, const SegmentScan& scan, std::uint64_t next_batch) {
  if (scan.bad_but_checksummed) return false;
  if (!scan.bad_offset) return true;  // complete records but no Commit: the write stopped there
  const wal::CommitScan later = wal::scan_for_commits(buf, *scan.bad_offset);
  if (!later.max_batch || *later.max_batch < next_batch) return true;
  if (*later.max_batch > next_batch) return false;
  // Commit of the torn batch itself: torn unless a following record shows the next write began.
  return later.end_offset >= buf.size() ||
         wal::decode_record(buf, later.end_offset).status != DecodeStatus::kOk;
}

class Recovery {
 public:
  Recovery(const std::string& wal_dir, bool repair, RecoveredState& state, RecoveryReport& report)
      : dir_(wal_dir), repair_(repair), state_(state), report_(report), replayer_(state) {}

  Status run() {
    std::vector<Segment> segments;
    if (Status s = list_segments(segments)) return s;
    report_.fresh = segments.empty();
    if (!segments.empty()) replayer_.start_at(segments.front().first_batch);
    std::size_t kept = 0;  // segments [0, kept) hold the recovered state
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const bool last = i + 1 == segments.size();
      bool stop = false;
      if (Status s = recover_segment(segments[i], last, stop)) return s;
      kept = i + 1;
      if (stop) {
        if (Status s2 = remove_segments(segments, i + 1)) return s2;
        break;
      }
    }
    // A segment left without a single batch (created just before a crash, cut to nothing, or
    // after a gap) goes: the writer re-creates it under the same name for the next batch.
    while (kept > 0 && kept_[kept - 1].bytes == 0) {
      if (Status s = remove_segments(segments, kept - 1, kept)) return s;
      --kept;
    }
    if (removed_any_) {
      if (Status s = fsync_directory(dir_)) return s;
    }
    kept_.resize(kept);
    if (const auto missing = replayer_.missing()) {
      return StorageError{
          StorageError::Kind::kCorrupt,
          "the WAL lacks the entries [" + std::to_string(missing->from.value()) + ", " +
              std::to_string(missing->to.value()) + "): " + dir_ + "/" + segments[0].name +
              " begins with a checkpoint of a log that holds them, and no segment has them (a "
              "segment before it is missing); --repair cannot bring them back"};
    }
    if (Status s = delete_obsolete_segments()) return s;
    report_.segments = kept_.size();
    report_.first_batch = kept_.empty() ? 0 : kept_.front().first_batch;
    state_.tail.wal_dir = dir_;
    state_.tail.next_batch = replayer_.next_batch();
    if (!kept_.empty()) {
      state_.tail.last_segment_first_batch = kept_.back().first_batch;
      state_.tail.last_segment_bytes = kept_.back().bytes;
    }
    state_.segments = std::move(kept_);
    return std::nullopt;
  }

 private:
  Status list_segments(std::vector<Segment>& out) {
    std::vector<std::string> names;
    if (Status s = list_files(dir_, names)) return s;
    for (const std::string& name : names) {
      if (auto first = wal::parse_segment_file_name(name)) {
        out.push_back(Segment{*first, name});
      } else {
        spdlog::warn("ignoring {}/{}: not a WAL segment name", dir_, name);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const Segment& a, const Segment& b) { return a.first_batch < b.first_batch; });
    return std::nullopt;
  }

  // Replays one segment; sets `stop` when the WAL ends here (after a repair cut).
  Status recover_segment(const Segment& seg, bool last, bool& stop) {
    const std::string path = dir_ + "/" + seg.name;
    if (seg.first_batch != replayer_.next_batch()) {
      const std::string why = "segment starts at batch " + std::to_string(seg.first_batch) +
                              " but batch " + std::to_string(replayer_.next_batch()) +
                              " was expected (a segment is missing)";
      stop = true;
      kept_.push_back(SegmentSummary{seg.first_batch, 0, paxos::LogIndex()});
      return corruption(path, 0, 0, 0, why);
    }
    std::string buf;
    if (Status s = read_file(path, buf)) return s;
    const SegmentScan scan = replayer_.scan(buf);
    report_.batches += scan.batches;
    kept_.push_back(SegmentSummary{seg.first_batch, scan.committed_end, scan.append_end});
    if (scan.committed_end == buf.size()) {
      if (scan.batches == 0 && !last) {
        stop = true;
        return corruption(path, 0, 0, buf.size(), "segment holds no batch");
      }
      return std::nullopt;
    }
    if (all_zero(std::string_view(buf).substr(scan.committed_end)) &&
        (scan.batches > 0 || last)) {
      // Unused space the writer keeps ahead of the log (WalWriter, zero_ahead_bytes): the log
      // ends at the last Commit. A record never starts with zeros (its length and CRC would not
      // check), and a segment that lost its last batches is caught by the next one's numbering.
      return std::nullopt;
    }
    std::string reason =
        scan.bad_offset ? scan.reason : "batch has no Commit record before the end of the segment";
    const std::size_t bad_at = scan.bad_offset.value_or(scan.committed_end);
    if (last && may_be_torn(buf, scan, replayer_.next_batch())) {
      return cut_torn_tail(path, scan.committed_end, buf.size(), bad_at, reason);
    }
    stop = true;
    return corruption(path, bad_at, scan.committed_end, buf.size(), reason);
  }

  Status cut_torn_tail(const std::string& path, std::size_t cut_at, std::size_t size,
                       std::size_t bad_at, const std::string& reason) {
    if (Status s = truncate_file(path, cut_at)) return s;
    report_.torn_bytes_cut += size - cut_at;
    note(true, "truncated torn tail of " + path + ": cut " + std::to_string(size - cut_at) +
                   " bytes at offset " + std::to_string(cut_at) +
                   " (uncommitted batch; at offset " + std::to_string(bad_at) + ": " + reason +
                   ")");
    return std::nullopt;
  }

  // Refuses, or with `repair` cuts the segment back to `cut_at` (later segments go afterwards).
  Status corruption(const std::string& path, std::size_t bad_at, std::size_t cut_at,
                    std::size_t size, const std::string& reason) {
    const std::string where =
        "corrupt record in " + path + " at offset " + std::to_string(bad_at) + ": " + reason;
    if (!repair_) {
      return StorageError{StorageError::Kind::kCorrupt,
                          where + "; start with --repair to truncate the log there"};
    }
    if (size > cut_at) {
      if (Status s = truncate_file(path, cut_at)) return s;
      kept_.back().bytes = cut_at;
    }
    report_.repaired = true;
    note(true, "repair: " + where + "; cut " + std::to_string(size - cut_at) + " bytes at offset " +
                   std::to_string(cut_at) + " and dropped every later segment");
    return std::nullopt;
  }

  Status remove_segments(const std::vector<Segment>& segments, std::size_t from,
                         std::size_t to = SIZE_MAX) {
    for (std::size_t i = from; i < std::min(to, segments.size()); ++i) {
      const std::string path = dir_ + "/" + segments[i].name;
      if (Status s = remove_file(path)) return s;
      removed_any_ = true;
      note(repair_ && report_.repaired, "removed WAL segment " + path);
    }
    return std::nullopt;
  }

  // Finishes what a crash interrupted: the writer deletes obsolete segments only after the batch
  // that made them obsolete is durable, and a crash can come between the two (wal_recovery.h).
  Status delete_obsolete_segments() {
    while (kept_.size() > 1 && kept_.front().append_end <= state_.log_start) {
      const std::string path = dir_ + "/" + wal::segment_file_name(kept_.front().first_batch);
      if (Status s = remove_file(path)) return s;
      // One at a time, oldest first, so that the survivors stay contiguous (see the header).
      if (Status s = fsync_directory(dir_)) return s;
      ++report_.obsolete_deleted;
      note(false, "deleted obsolete WAL segment " + path +
                      " (every entry in it is below the log "
                      "start " +
                      std::to_string(state_.log_start.value()) + ")");
      kept_.erase(kept_.begin());
    }
    return std::nullopt;
  }

  void note(bool warning, std::string line) {
    if (warning) {
      spdlog::warn("{}", line);
    } else {
      spdlog::info("{}", line);
    }
    report_.actions.push_back(std::move(line));
  }

  const std::string dir_;
  const bool repair_;
  RecoveredState& state_;
  RecoveryReport& report_;
  Replayer replayer_;
  bool removed_any_ = false;          // the directory needs an fsync to make the removal durable
  std::vector<SegmentSummary> kept_;  // each segment scanned so far, with its committed bytes
};

}  // namespace

Status recover_wal(const std::string& wal_dir, bool repair, RecoveredState& state,
                   RecoveryReport& report) {
  state = RecoveredState{};
  report = RecoveryReport{};
  return Recovery(wal_dir, repair, state, report).run();
}

}  // namespace paxoskv::storage
