// The crash test's faults: SIGKILL of server processes, and "power loss" cuts of a killed node's
// write-ahead log.
//
// What a power loss may remove, and why the cut is not simply "back to the last wal_bytes"
// ----------------------------------------------------------------------------------------------
// A power loss loses exactly what was written but not yet fdatasynced. The brief idea is to take
// the node's wal_bytes from its last status before the kill as the durable size and cut anywhere
// between it and the current size. wal_bytes is indeed a lower bound of the durable bytes (the
// writer adds a batch to it only after that batch's fdatasync returned), but only as of the
// moment the status was read: between that poll and the kill the node may sync several more
// batches AND act on them (send Accepted, Promise, decided replies). Cutting those bytes would
// simulate a disk that lost data it had confirmed, i.e. it would test a fault no real disk
// produces, and the checks would then (rightly) find lost acknowledged writes that are the test's
// fault, not the server's (run with --unsafe-cut to see exactly that; it doubles as a check that
// the verifier notices lost writes).
//
// So the test finds the true boundary instead. The server has one WAL writer thread that, for
// each batch, does pwrite(whole batch) then fdatasync, strictly one batch after the other, and the
// event loop acts on a batch only after the writer posts its completion. Hence at any instant at
// most the LAST batch in the last segment is not yet confirmed durable, and it is unconfirmed only
// if (a) its pwrite is incomplete (a torn tail with no Commit record) or (b) the writer is inside
// fdatasync for it. To observe (b) without a race, the test freezes the process with SIGSTOP, then
// reads /proc/<pid>/task/*/syscall: a thread inside fdatasync at that point cannot post its
// completion any more (it stops on the way out of the syscall, and SIGKILL follows). The WAL
// writer is the server's only fdatasync caller (recovery and segment creation use fsync), so a
// thread in fdatasync is the writer syncing the last batch. Then:
//   - writer in fdatasync, file ending with a Commit: the last batch may go (cut >= its start);
//   - otherwise: only bytes past the last Commit record may go (a torn, never-acted-on batch);
//   - never below the status floor: base bytes (the WAL size on disk when this process started)
//     + the process's largest reported wal_bytes.
// The base bytes include whatever an earlier process had written without syncing and that this
// process recovered from the page cache; counting them as durable is conservative (the test cuts
// less). Segments other than the last are complete and synced (the writer syncs a segment before
// it starts the next one), so only the last segment is ever cut.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "local_cluster.h"
#include "monitor.h"

namespace paxoskv::crash {

struct Killed {
  std::size_t node = 0;
  pid_t pid = -1;
  bool writer_in_fdatasync = false;  // a thread of the frozen process was inside fdatasync
};

struct CutResult {
  bool cut = false;
  std::string segment;  // path of the segment that was (or would have been) cut
  std::uint64_t size_before = 0;
  std::uint64_t size_after = 0;
  std::uint64_t floor = 0;  // the lowest offset the cut was allowed to reach
  std::string note;         // why there was nothing to cut, when cut == false
};

class Faults {
 public:
  Faults(testing::LocalCluster& cluster, const Monitor& monitor);

  // Freezes every node in `nodes` (SIGSTOP, all of them before any is killed, so that a
  // "power loss" stops them at one instant), inspects each one's WAL writer, then SIGKILLs and
  // reaps them. If `want_in_fdatasync` is set and no frozen writer is inside fdatasync, the nodes
  // are resumed (SIGCONT) and frozen again, up to `attempts` times in all: a cut has only the one
  // unconfirmed batch to remove, so it is worth picking a moment when there is one. The nodes
  // stand still for microseconds per attempt, far below any timeout of the cluster.
  std::vector<Killed> kill(const std::vector<std::size_t>& nodes, bool want_in_fdatasync = false,
                           int attempts = 1);

  // Cuts the killed node's last WAL segment to a random length within what a power loss could
  // have lost (see above). `unsafe` cuts down to the status floor instead: a fault no real disk
  // produces, only for checking that the verifier catches lost writes.
  CutResult cut(const Killed& killed, std::mt19937_64& rng, bool unsafe);

  // Starts the node's server, first noting its WAL size on disk (the base of its wal_bytes).
  void start(std::size_t node);

  // Whether the node's process has exited although the test did not kill it (a crash, or a
  // refusal to start). Does not reap it: LocalCluster still owns the pid.
  bool exited_on_its_own(std::size_t node) const;

  std::string wal_dir(std::size_t node) const;

 private:
  testing::LocalCluster& cluster_;
  const Monitor& monitor_;
  std::vector<std::uint64_t> base_bytes_;  // per node, WAL bytes on disk at its last start
};

}  // namespace paxoskv::crash
