// One paxoskv server node: a single-threaded event loop around the consensus core.
//
// Events are a tick timer, peer messages, peer reconnections and client requests. Each event only
// feeds the core or queues work; a single "pump" posted after the events of one loop iteration
// then does, in order: take the core's outbox, send what may leave now and queue the rest behind
// the storage batch it depends on, start writing that batch, apply the newly decided entries to
// the state machine and answer the clients waiting for them, and serve linearizable reads whose
// read index has been applied (style.md §8, omnipaxos-kv server.rs). Because the pump runs once
// per iteration, everything that arrived together is batched: one sync and one message per peer
// for many requests.
//
// Durability without stalling the loop (storage.h, rule 3; paxos/messages.h, SendRule): the pump
// seals the writes of its events into one WAL batch and hands it to a dedicated I/O thread, which
// writes it with one fdatasync and posts a completion back; while it is being written, later
// writes accumulate and are sealed together when it completes (group commit). Messages that vouch
// for stored state (Promise, Accepted, ...) are held until their batch is durable, in order. A
// leader's AcceptDecide leaves at once: the leader counts its own log in a write quorum only once
// the completion reports it durable (OmniPaxos::made_durable), so its fsync runs in parallel with
// its followers'. Decided entries are applied as soon as they are decided (a write quorum holds
// them durably); snapshots wait until the decided index is durable here too (Snapshotter).
//
// Three refinements for latency. A batch that would hold only a new decided index is not written
// on its own (no message vouches for it): it rides with the next batch, or goes at the next tick
// when idle. When no other write is under way, a follower's loop thread writes the batch itself,
// right after this iteration's sends (sync_on_loop_thread): the hand-off to the I/O thread and
// back would cost two thread wake-ups on the only write's critical path. And a leader answers the
// clients of newly decided writes before it sends the Decides that announce them (pump).
#pragma once

#include <asio.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "common/protocol.h"
#include "common/server_config.h"
#include "paxos/omni_paxos.h"
#include "server/client_service.h"
#include "server/fault_injection.h"
#include "server/kv/kv_store.h"
#include "server/peer_network.h"
#include "server/snapshotter.h"
#include "storage/disk_storage.h"
#include "storage/snapshot_store.h"

namespace paxoskv::server {

class Node {
 public:
  Node(asio::io_context& io, ServerConfig config, std::unique_ptr<storage::DiskStorage> storage,
       std::unique_ptr<storage::SnapshotStore> snapshots);
  ~Node();

  // Binds both ports and starts ticking; throws asio::system_error if a port is taken.
  void start();
  // Stops accepting, closes every connection and cancels the timers: the io_context then runs out
  // of work and returns.
  void stop();
  // Serve Op::kFault requests (main.cc: --enable-fault-injection); refused until called.
  void enable_fault_injection() { faults_.enable(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Waiter {
    std::weak_ptr<Connection> connection;
    Clock::time_point deadline;
  };
  struct PendingRead {
    std::weak_ptr<Connection> connection;
    Request request;
    Clock::time_point deadline;
    bool confirmed = false;
    paxos::LogIndex read_idx;
  };

  void on_tick();
  void on_peer_message(paxos::Message&& message);
  void on_request(const std::shared_ptr<Connection>& connection, Request&& request,
                  std::string_view body);
  void handle_write(const std::shared_ptr<Connection>& connection, Request&& request,
                    std::string_view body);
  void handle_read(const std::shared_ptr<Connection>& connection, Request&& request);

  void schedule_pump();
  void pump();
  void on_batch_durable(const paxos::DurabilityMark& mark, paxos::LogIndex decided);
  void release_durable_flushes();
  void apply_decided(paxos::LogIndex limit);
  void collect_reads();
  void serve_applied_reads();
  void expire_requests();
  void fail_pending_writes(const char* why);
  void log_leadership_changes();

  Response reject(const Request& request, Status status, std::string error) const;
  Response not_leader(const Request& request) const;
  NodeStatus node_status() const;
  Clock::time_point deadline_for(const Request& request) const;
  std::size_t pending_requests() const { return pending_write_count_ + pending_reads_.size(); }

  asio::io_context& io_;
  ServerConfig config_;
  std::unique_ptr<storage::DiskStorage> storage_;
  paxos::OmniPaxos replica_;
  KvStore kv_;
  PeerNetwork peers_;
  std::unique_ptr<storage::SnapshotStore> snapshot_store_;
  Snapshotter snapshotter_;
  ClientService clients_;
  FaultInjection faults_;

  asio::steady_timer tick_timer_;
  asio::steady_timer sweep_timer_;
  Clock::time_point next_tick_;
  bool pump_scheduled_ = false;
  paxos::NodeId logged_leader_ = paxos::kNoNode;
  bool stopped_ = false;

  paxos::LogIndex applied_idx_;
  // Writes waiting to be applied here, by (client id, seq).
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<Waiter>> pending_writes_;
  std::size_t pending_write_count_ = 0;
  // Linearizable reads by read id; confirmed ones wait for applied_idx_ to reach read_idx.
  std::map<std::uint64_t, PendingRead> pending_reads_;
  std::uint64_t next_read_id_ = 1;

  // Messages of one pump that wait for its WAL batch (and every earlier one) to be durable.
  struct Flush {
    std::vector<paxos::Message> messages;
    // Released once this many WAL batches are durable: the writes they vouch for are in them.
    std::uint64_t needs_batches = 0;
  };
  std::deque<Flush> flushes_;
  // Group commit across pumps: while one batch is being written, writes accumulate unsealed and
  // are sealed as ONE batch when it completes, so the fsync rate adapts to the disk instead of
  // one fsync per loop iteration.
  std::uint64_t sealed_batches_ = 0;
  std::uint64_t durable_batches_ = 0;
  bool batch_in_flight_ = false;
  enum class Seal {
    kWhatIsAwaited,  // writes something may wait for: entries, promises (not a decided index alone)
    kEverything,     // at a tick: every write made so far
  };
  void seal_and_write(Seal what);
  // Whether to write this batch on the loop thread itself (light load; see the definition).
  bool sync_on_loop_thread(const paxos::DurabilityMark& mark, paxos::LogIndex decided,
                           const storage::SealedBatch& batch) const;
  // Writes the batch on this thread; pauses loop-thread syncs after one that stalled the loop.
  void append_and_sync_on_loop_thread(const storage::SealedBatch& batch);
  // After an fdatasync on the loop thread stalled it (seal_and_write), none for this long.
  static constexpr std::chrono::seconds kInlineSyncPause{2};
  Clock::time_point inline_sync_paused_until_{};
  // The I/O thread: it only ever calls storage_->writer().append_and_sync(batch), in seal order.
  // The loop thread calls it too (sync_on_loop_thread), but only while no batch is in flight, and
  // asio's queue orders those calls after the I/O thread's last one.
  asio::io_context disk_io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> disk_work_;
  std::thread disk_thread_;

  // Reused buffers of the pump.
  std::vector<paxos::Message> outbox_;
  std::vector<paxos::Entry> decided_;
  Request command_scratch_;
  std::vector<paxos::ReadResult> read_results_;
};

}  // namespace paxoskv::server
