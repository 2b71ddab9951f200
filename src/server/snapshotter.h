// Snapshots of the state machine, log trimming, and snapshot transfer between nodes.
//
// Taking: every `interval_entries` applied entries the node writes a snapshot of its KvStore
// (sessions included) at the applied index, durably (tmp file, fsync, rename, directory fsync:
// storage/snapshot_store.h), and only then trims the log, at the PREVIOUS snapshot's index. So the
// log always starts exactly at a snapshot this node keeps (a lagging peer is sent that one, see
// paxos::AcceptSync::from_snapshot), and one snapshot interval of log stays for peers that are only
// a little behind, who then catch up from entries instead of a whole snapshot. The store keeps the
// newest three snapshots, which always include the one the durable log starts at.
//
// Transfer: when the core wants a snapshot (paxos::SnapshotWanted), this node pulls it from the
// source one chunk at a time (SnapshotRequest / SnapshotChunk, carried on the peer links), staging
// it in a temporary file; the finished file is verified (length, CRC) and made durable, decoded
// into a fresh KvStore, and only then handed to the core (snapshot_installed), so the state
// machine and the log switch over together within one event. A transfer without progress for
// `transfer_timeout` is abandoned (snapshot_failed): the core then asks to be prepared again and
// may want a newer snapshot.
//
// Start: the node restores the newest snapshot before it replays the log. A log trimmed beyond
// the newest snapshot means entries are gone for good: that data directory is refused (fatal).
//
// Threading: the event loop's thread only. Snapshot writes are synchronous (one fsync'd file per
// interval); with the default interval that is rare, but a very large state makes it a visible
// pause (see the issue note).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "paxos/omni_paxos.h"
#include "server/kv/kv_store.h"
#include "storage/snapshot_store.h"

namespace paxoskv::server {

class Snapshotter {
 public:
  using Clock = std::chrono::steady_clock;
  using Send = std::function<void(paxos::Message&&)>;

  struct Options {
    std::uint64_t interval_entries = 100'000;  // 0 = never take snapshots (never trim)
    std::uint64_t chunk_bytes = 1 << 20;
    std::chrono::milliseconds transfer_timeout{10'000};
    KvStoreOptions kv;  // for the KvStore a received snapshot is decoded into
  };

  struct Stats {
    std::uint64_t latest_idx = 0;   // newest snapshot held (0 = none)
    std::uint64_t taken = 0;        // snapshots written by this process
    std::uint64_t installed = 0;    // snapshots received and installed
    std::uint64_t served_bytes = 0;  // snapshot bytes sent to peers
    std::uint64_t last_write_us = 0;  // time to encode and durably write the last one
  };

  Snapshotter(Options options, paxos::NodeId self, paxos::ConfigId config_id,
              storage::SnapshotStore& store, KvStore& kv, paxos::OmniPaxos& replica, Send send);

  // Start-up: restores the newest snapshot into the KvStore and returns the index to apply the
  // log from. Ends the process (fatal) when the log was trimmed beyond it.
  paxos::LogIndex restore_at_start();

  // After entries up to `applied` were applied: when a snapshot is due, encodes the state machine
  // at once (its state now), and writes it once `applied` is durably decided here (see below).
  void after_apply(paxos::LogIndex applied);
  // This node's storage now durably holds `decided` as its decided index. A snapshot is written
  // only at or below it: the node applies decided entries before its own WAL batch recording
  // them is durable (a decided index already means durable on a write quorum), and a snapshot
  // ahead of the durable decided index would look, after a crash, like a received snapshot whose
  // install was interrupted, and the restart would reset the log to it (start_plan.h).
  void on_durable_decided(paxos::LogIndex decided);

  // Follows the core's SnapshotWanted: starts, retries, abandons transfers. Call after every
  // batch of events (and on ticks, for timeouts).
  void poll(Clock::time_point now);

  // Peer messages. on_chunk returns the new applied index when it completed an installation.
  void on_request(paxos::NodeId from, const paxos::SnapshotRequest& request);
  std::optional<paxos::LogIndex> on_chunk(paxos::NodeId from, const paxos::SnapshotChunk& chunk,
                                          Clock::time_point now);

  const Stats& stats() const { return stats_; }

 private:
  struct Transfer {
    paxos::SnapshotWanted wanted;
    std::unique_ptr<storage::SnapshotStore::Receiver> receiver;  // after the first chunk
    std::uint64_t received_bytes = 0;
    Clock::time_point last_progress;
    Clock::time_point last_request;
  };

  void request_next(Transfer& transfer, Clock::time_point now);
  void abandon(const char* why);
  std::optional<paxos::LogIndex> install(Transfer& transfer);
  void send(paxos::NodeId to, paxos::Payload payload);

  Options options_;
  paxos::NodeId self_;
  paxos::ConfigId config_id_;
  storage::SnapshotStore& store_;
  KvStore& kv_;
  paxos::OmniPaxos& replica_;
  Send send_;

  void write_pending();

  paxos::LogIndex last_snapshot_;  // newest snapshot taken or installed here
  paxos::LogIndex durable_decided_;  // on_durable_decided
  // A snapshot encoded but not yet written: its index is not yet durably decided here.
  struct Pending {
    paxos::LogIndex index;
    std::string payload;
    Clock::time_point encoded_at;
  };
  std::optional<Pending> pending_;
  std::optional<Transfer> transfer_;
  Stats stats_;
};

}  // namespace paxoskv::server
