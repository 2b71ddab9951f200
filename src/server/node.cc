#include "server/node.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <random>

#include "common/codec.h"

namespace paxoskv::server {

namespace {

bool is_write(Op op) {
  return op == Op::kPut || op == Op::kDelete || op == Op::kDeleteRange || op == Op::kCas;
}

const char* role_name(paxos::Role role) {
  return role == paxos::Role::kLeader ? "leader" : "follower";
}

const char* phase_name(paxos::Phase phase) {
  switch (phase) {
    case paxos::Phase::kRecover:
      return "recover";
    case paxos::Phase::kPrepare:
      return "prepare";
    case paxos::Phase::kAccept:
      return "accept";
  }
  return "?";
}

// The core's configuration with a new incarnation for this process (paxos::Config::incarnation):
// peers drop promises of our earlier runs as soon as they hear from this one.
paxos::Config core_config(const ServerConfig& config) {
  paxos::Config c = config.to_paxos_config();
  std::random_device random;
  do {
    c.incarnation = (std::uint64_t{random()} << 32) | random();
  } while (c.incarnation == 0);
  return c;
}

std::string ballot_string(const paxos::Ballot& b) {
  return "(" + std::to_string(b.n) + "," + std::to_string(b.priority) + "," +
         std::to_string(b.pid.value()) + ")";
}

}  // namespace

Node::Node(asio::io_context& io, ServerConfig config, std::unique_ptr<storage::DiskStorage> storage,
           std::unique_ptr<storage::SnapshotStore> snapshots)
    : io_(io),
      config_(std::move(config)),
      storage_(std::move(storage)),
      replica_(core_config(config_), *storage_),
      kv_(KvStoreOptions{config_.session_expiry_entries}),
      peers_(
          io_, config_, [this](paxos::Message&& m) { on_peer_message(std::move(m)); },
          [this](std::uint64_t peer) {
            replica_.reconnected(paxos::NodeId(peer));
            schedule_pump();
          },
          [this](std::uint64_t peer) {
            replica_.disconnected(paxos::NodeId(peer));
            schedule_pump();
          }),
      snapshot_store_(std::move(snapshots)),
      snapshotter_(
          Snapshotter::Options{config_.snapshot_interval_entries, config_.snapshot_chunk_bytes,
                               std::chrono::milliseconds(config_.snapshot_transfer_timeout_ms),
                               KvStoreOptions{config_.session_expiry_entries}},
          paxos::NodeId(config_.node_id), config_.to_paxos_config().config_id, *snapshot_store_,
          kv_, replica_, [this](paxos::Message&& m) { peers_.send(m); }),
      clients_(io_, config_,
               [this](const std::shared_ptr<Connection>& c, Request&& r, std::string_view body) {
                 on_request(c, std::move(r), body);
               }),
      faults_(config_.node_id, peers_, *storage_),
      tick_timer_(io_),
      sweep_timer_(io_) {}

Node::~Node() {
  stop();
  if (disk_thread_.joinable()) disk_thread_.join();
}

void Node::start() {
  if (paxos::holds_nothing(*storage_)) {
    // A new data directory, or a lost one: promise nothing until it is safe (amnesia guard).
    replica_.start_amnesiac();
    spdlog::info(
        "new data directory: this node joins once every peer is new too (a new cluster) "
        "or once a leader elected without it has brought it up to date");
  }
  // The newest snapshot first, then everything the WAL decided after it (all durable already).
  applied_idx_ = snapshotter_.restore_at_start();
  apply_decided(replica_.decided_idx());
  disk_work_.emplace(disk_io_.get_executor());
  disk_thread_ = std::thread([this] { disk_io_.run(); });
  peers_.start();
  clients_.start();
  next_tick_ = Clock::now();
  on_tick();
  expire_requests();
  spdlog::info("node {} serving clients on {} and peers on {} ({} members, tick {} ms)",
               config_.node_id, config_.client_listen, config_.peer_listen, config_.peers.size(),
               config_.tick_ms);
}

void Node::stop() {
  if (stopped_) return;
  stopped_ = true;
  tick_timer_.cancel();
  sweep_timer_.cancel();
  clients_.stop();
  peers_.stop();
  // Let the I/O thread finish the batches it has, then end; unsynced writes are simply not
  // acknowledged, as after a crash.
  disk_work_.reset();
}

// ---- events ----

void Node::on_tick() {
  if (stopped_) return;
  replica_.tick();
  // A decided index that waited (seal_and_write) becomes durable within a tick when idle, so
  // snapshots (Snapshotter::on_durable_decided) and restarts are not far behind.
  if (!batch_in_flight_) seal_and_write(Seal::kEverything);
  schedule_pump();
  // A fixed cadence: schedule from the previous deadline, not from now, so ticks do not drift.
  next_tick_ += std::chrono::milliseconds(config_.tick_ms);
  const auto now = Clock::now();
  if (next_tick_ < now) next_tick_ = now;  // we fell behind: skip, never burst
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) on_tick();
  });
}

void Node::on_peer_message(paxos::Message&& message) {
  // Snapshot transfer is between drivers (paxos/messages.h); everything else is the core's.
  if (const auto* request = std::get_if<paxos::SnapshotRequest>(&message.payload)) {
    snapshotter_.on_request(message.from, *request);
    return;
  }
  if (const auto* chunk = std::get_if<paxos::SnapshotChunk>(&message.payload)) {
    if (auto installed = snapshotter_.on_chunk(message.from, *chunk, Clock::now())) {
      // The state machine now stands at the snapshot; waiters for entries it covers are answered
      // by their clients' retries (exactly-once sessions are part of the snapshot).
      applied_idx_ = *installed;
      schedule_pump();
    }
    return;
  }
  replica_.handle(message);
  schedule_pump();
}

void Node::on_request(const std::shared_ptr<Connection>& connection, Request&& request,
                      std::string_view body) {
  if (stopped_) {
    ClientService::reply(connection, reject(request, Status::kUnavailable, "shutting down"));
    return;
  }
  if (request.op == Op::kStatus) {
    Response r;
    r.seq = request.seq;
    r.revision = kv_.revision();
    r.node = node_status();
    if (request.with_state_hash) r.node->state_hash = kv_.state_hash();
    ClientService::reply(connection, r);
    return;
  }
  if (request.op == Op::kFault) {
    ClientService::reply(connection, faults_.handle(request));
    return;
  }
  if (pending_requests() >= config_.max_pending_requests) {
    ClientService::reply(
        connection, reject(request, Status::kBusy, "too many requests in flight on this node"));
    return;
  }
  if (is_write(request.op)) {
    handle_write(connection, std::move(request), body);
  } else if (request.op == Op::kGet || request.op == Op::kRange) {
    handle_read(connection, std::move(request));
  } else {
    ClientService::reply(connection, reject(request, Status::kBadRequest, "unknown operation"));
  }
}

void Node::handle_write(const std::shared_ptr<Connection>& connection, Request&& request,
                        std::string_view body) {
  if (request.client_id == 0 || request.seq == 0) {
    ClientService::reply(connection, reject(request, Status::kBadRequest,
                                            "writes need a client id and a sequence number"));
    return;
  }
  if (request.key.empty()) {
    ClientService::reply(connection, reject(request, Status::kBadRequest, "empty key"));
    return;
  }
  const auto key = std::pair(request.client_id, request.seq);
  const Clock::time_point deadline = deadline_for(request);
  // The core forwards a proposal made at a follower to the leader; every node applies every
  // entry, so whichever node the client asked answers once it has applied the entry. A retry
  // (same client id and seq) is proposed again: the state machine applies it once and answers
  // both with the first result.
  // The client's frame body is the command (codec.h): no second encode.
  paxos::Entry entry = command_from_request_body(body);
  // The entry must fit in one WAL record and one peer frame; the client frame limit is
  // configurable, so check here rather than trust it.
  constexpr std::size_t kEntryBytesMax = 128u << 20;
  if (entry.size() > kEntryBytesMax) {
    ClientService::reply(connection, reject(request, Status::kBadRequest,
                                            "key and value too large (at most 128 MiB)"));
    return;
  }
  if (replica_.append(std::move(entry)) == paxos::ProposeResult::kBufferFull) {
    ClientService::reply(
        connection,
        reject(request, Status::kBusy, "no leader is taking proposals and the buffer is full"));
    return;
  }
  pending_writes_[key].push_back(Waiter{connection, deadline});
  ++pending_write_count_;
  schedule_pump();
}

void Node::handle_read(const std::shared_ptr<Connection>& connection, Request&& request) {
  if (request.serializable) {
    Response r = kv_.read(request);
    r.seq = request.seq;
    ClientService::reply(connection, r);
    return;
  }
  const std::uint64_t read_id = next_read_id_++;
  if (!replica_.read_index(read_id)) {
    ClientService::reply(connection, not_leader(request));
    return;
  }
  const Clock::time_point deadline = deadline_for(request);
  PendingRead read;
  read.connection = connection;
  read.request = std::move(request);
  read.deadline = deadline;
  pending_reads_.emplace(read_id, std::move(read));
  schedule_pump();
}

// ---- the pump ----

void Node::schedule_pump() {
  if (pump_scheduled_ || stopped_) return;
  pump_scheduled_ = true;
  asio::post(io_, [this] { pump(); });
}

void Node::pump() {
  pump_scheduled_ = false;
  if (stopped_) return;
  outbox_.clear();
  replica_.take_outgoing(outbox_);
  // Each message leaves as early as its SendRule allows (paxos/messages.h): heartbeats and read
  // checks at once (never behind a slow disk, or a healthy leader would lose its leadership
  // during an fsync); a leader's AcceptDecide/Decide at once too unless an earlier message waits,
  // so its fsync overlaps its followers' instead of preceding them; everything else once this
  // pump's writes are durable.
  //
  // Decide messages at the end of the outbox that may leave now leave last, after the answers to
  // the clients whose writes they decide: a Decide only tells a follower what it may apply, while
  // sending it first would put two loopback sends (each waking a follower's thread, which may take
  // our core) in front of the answer. Nothing later in this pump can overtake them on their peer's
  // session, since they end the outbox.
  std::size_t decides_from = outbox_.size();
  while (decides_from > 0 &&
         std::holds_alternative<paxos::Decide>(outbox_[decides_from - 1].payload)) {
    --decides_from;
  }
  std::size_t send_last_from = outbox_.size();
  Flush flush;
  for (std::size_t i = 0; i < outbox_.size(); ++i) {
    paxos::Message& m = outbox_[i];
    const paxos::SendRule rule = paxos::send_rule(m.payload);
    if (rule == paxos::SendRule::kAnyTime || (rule == paxos::SendRule::kBeforeSyncInOrder &&
                                              flushes_.empty() && flush.messages.empty())) {
      if (i < decides_from) {
        peers_.send(m);
      } else {
        send_last_from = std::min(send_last_from, i);
      }
    } else {
      flush.messages.push_back(std::move(m));
    }
  }
  if (!flush.messages.empty()) {
    // This pump's writes go into the next batch sealed (now, or when the one being written is
    // done). A decided index alone is vouched for by no message (DiskStorage): those messages
    // wait only for the batches already sealed.
    flush.needs_batches =
        sealed_batches_ + (storage_->has_unsealed_writes_beyond_decided_idx() ? 1 : 0);
    flushes_.push_back(std::move(flush));
  }
  if (!batch_in_flight_) seal_and_write(Seal::kWhatIsAwaited);
  release_durable_flushes();
  // A decided index counts only durable acceptances (a write quorum holds every decided entry on
  // disk), so decided entries are applied and answered at once, whether or not our own batch
  // recording them is durable yet. Snapshots wait for that (Snapshotter::on_durable_decided).
  apply_decided(replica_.decided_idx());
  collect_reads();
  serve_applied_reads();
  // The tail's Decides share one send rule and one state: all of them left the loop above
  // unsent and wait here, or all of them went into the flush.
  for (std::size_t i = send_last_from; i < outbox_.size(); ++i) peers_.send(outbox_[i]);
  log_leadership_changes();
  snapshotter_.poll(Clock::now());
}

void Node::seal_and_write(Seal what) {
  // A new decided index alone waits for the next batch that must be written anyway (an entry, a
  // promise) or for the next tick: writing it at once would cost an fdatasync per decision and,
  // worse, put that fdatasync in front of the next write's batch (a follower learns each decision
  // from a Decide that arrives just before the next AcceptDecide).
  if (!storage_->has_unsealed_writes_beyond_decided_idx() && what == Seal::kWhatIsAwaited) return;
  // Taken before sealing: the batch holds every write made so far, so this is what it makes
  // durable of our log, and the decided index it records.
  const paxos::DurabilityMark mark = replica_.durability_mark();
  const paxos::LogIndex decided = replica_.decided_idx();
  storage::SealedBatch batch = storage_->seal_batch();
  if (batch.empty()) return;
  ++sealed_batches_;
  batch_in_flight_ = true;
  const bool sync_here = sync_on_loop_thread(mark, decided, batch);
  // Posted either way, so that the connections' flushes posted by this pump run first: what may
  // leave before our sync (a leader's AcceptDecide) is on the wire while we wait, and waking the
  // I/O thread (a system call; on a busy core the woken thread may run first) does not hold it
  // back.
  asio::post(io_, [this, batch = std::move(batch), mark, decided, sync_here]() mutable {
    if (stopped_) return;
    if (sync_here) {
      append_and_sync_on_loop_thread(batch);
      on_batch_durable(mark, decided);
      return;
    }
    asio::post(disk_io_, [this, batch = std::move(batch), mark, decided] {
      storage_->writer().append_and_sync(batch);
      asio::post(io_, [this, mark, decided] { on_batch_durable(mark, decided); });
    });
  });
}

void Node::append_and_sync_on_loop_thread(const storage::SealedBatch& batch) {
  const Clock::time_point start = Clock::now();
  storage_->writer().append_and_sync(batch);
  const Clock::duration took = Clock::now() - start;
  // A quarter of the election timeout: a loop blocked that long delays heartbeat replies enough
  // to matter. Disks stall for 100 ms and more now and then; after such a stall batches go to the
  // I/O thread for a while, so a stall that goes on cannot starve the loop.
  const auto stall = std::chrono::milliseconds(std::max<std::uint64_t>(
      config_.tick_ms, config_.tick_ms * config_.election_timeout_ticks / 4));
  if (took <= stall) return;
  inline_sync_paused_until_ = Clock::now() + kInlineSyncPause;
  spdlog::warn(
      "an fdatasync on the event loop took {} ms; batches go to the I/O thread for the "
      "next {} s",
      std::chrono::duration_cast<std::chrono::milliseconds>(took).count(),
      std::chrono::duration_cast<std::chrono::seconds>(kInlineSyncPause).count());
}

bool Node::sync_on_loop_thread(const paxos::DurabilityMark& mark, paxos::LogIndex decided,
                               const storage::SealedBatch& batch) const {
  // On a follower, when no other write is under way (at most the one entry in this batch is
  // undecided), nothing is likely to arrive during the fdatasync that could use the loop, and
  // handing the batch to the I/O thread and its completion back would cost two thread wake-ups
  // on the write's critical path (about a tenth of a write's latency at one request in flight).
  // With more writes under way the I/O thread keeps the loop free to take the next entries while
  // the disk works. Not on a leader: its own sync is off the critical path (its AcceptDecide left
  // before it, and two followers make a quorum without it), and a loop blocked in fdatasync would
  // sit on the followers' Accepted that decide the write. Segment changes (directory fsyncs),
  // extensions of the zero tail (a MiB more to write), an injected fsync delay and a disk that
  // just stalled stay off the loop. So does an injected fsync failure: the fatal exit it causes
  // would otherwise come before the loop had sent the answer to the request that armed it.
  if (replica_.is_leader()) return false;
  const bool only_write_under_way = mark.end.value() <= decided.value() + 1;
  return only_write_under_way && !batch.starts_segment && batch.obsolete_segments.empty() &&
         !storage_->writer().append_extends_zero_tail(batch.size()) &&
         storage_->writer().injected_fsync_delay_ms() == 0 &&
         !storage_->writer().injected_fsync_failure() &&
         Clock::now() >= inline_sync_paused_until_;
}

void Node::on_batch_durable(const paxos::DurabilityMark& mark, paxos::LogIndex decided) {
  // One batch at a time is in flight, so this completion is the oldest sealed batch.
  ++durable_batches_;
  batch_in_flight_ = false;
  if (stopped_) return;
  // A leader counts its own log in write quorums from here on: this may decide entries.
  replica_.made_durable(mark);
  snapshotter_.on_durable_decided(decided);
  release_durable_flushes();
  // Everything written meanwhile, by however many pumps, goes out as one batch.
  seal_and_write(Seal::kWhatIsAwaited);
  schedule_pump();
}

void Node::release_durable_flushes() {
  while (!flushes_.empty() && flushes_.front().needs_batches <= durable_batches_) {
    if (!stopped_) {
      for (const paxos::Message& m : flushes_.front().messages) peers_.send(m);
    }
    flushes_.pop_front();
  }
}

void Node::apply_decided(paxos::LogIndex limit) {
  const paxos::LogIndex decided = std::min(limit, replica_.decided_idx());
  if (decided <= applied_idx_) return;
  decided_.clear();
  replica_.read_decided(applied_idx_, decided, decided_);
  Request& command = command_scratch_;  // reused: its strings keep their buffers
  std::string error;
  for (const paxos::Entry& entry : decided_) {
    const std::uint64_t index = applied_idx_.value();
    applied_idx_ = applied_idx_ + 1;
    if (!decode_command(entry, command, &error)) {
      // Every replica skips the same entry, so the state machines stay identical.
      spdlog::error("log entry {} does not decode ({}); skipped", index, error);
      continue;
    }
    Response response = kv_.apply(index, command);
    auto waiting = pending_writes_.find({command.client_id, command.seq});
    if (waiting == pending_writes_.end()) continue;
    response.seq = command.seq;
    for (const Waiter& w : waiting->second) ClientService::reply(w.connection.lock(), response);
    pending_write_count_ -= waiting->second.size();
    pending_writes_.erase(waiting);
  }
  snapshotter_.after_apply(applied_idx_);
}

void Node::log_leadership_changes() {
  const paxos::Status s = replica_.status();
  const paxos::NodeId leader = s.phase == paxos::Phase::kAccept || s.role == paxos::Role::kLeader
                                   ? s.leader
                                   : paxos::kNoNode;
  if (leader == logged_leader_ ||
      (s.role == paxos::Role::kLeader && s.phase != paxos::Phase::kAccept)) {
    return;
  }
  if (logged_leader_ != paxos::kNoNode && logged_leader_.value() != config_.node_id) {
    // We were following another node: writes we forwarded to it may have died with it or with
    // the link. Tell their clients now rather than let them wait out their timeouts; a retry
    // with the same sequence number is applied once (client sessions).
    fail_pending_writes(
        "the leader changed while this write was on its way to it; it may or may "
        "not take effect (retry with the same sequence number)");
  }
  logged_leader_ = leader;
  if (leader.value() == config_.node_id) {
    spdlog::info("this node leads (ballot {}, decided {})", ballot_string(s.promise),
                 s.decided_idx.value());
  } else if (leader != paxos::kNoNode) {
    spdlog::info("following node {} (ballot {})", leader.value(), ballot_string(s.promise));
  }
}

void Node::fail_pending_writes(const char* why) {
  for (auto& [key, waiters] : pending_writes_) {
    Response r;
    r.seq = key.second;
    r.status = Status::kUnavailable;
    r.error = why;
    for (const Waiter& w : waiters) ClientService::reply(w.connection.lock(), r);
  }
  pending_writes_.clear();
  pending_write_count_ = 0;
}

void Node::collect_reads() {
  read_results_.clear();
  replica_.take_reads(read_results_);
  for (const paxos::ReadResult& r : read_results_) {
    auto it = pending_reads_.find(r.read_id);
    if (it == pending_reads_.end()) continue;
    if (!r.confirmed) {
      // Leadership moved before the read was confirmed: send the client to the new leader.
      ClientService::reply(it->second.connection.lock(), not_leader(it->second.request));
      pending_reads_.erase(it);
      continue;
    }
    it->second.confirmed = true;
    it->second.read_idx = r.read_idx;
  }
}

void Node::serve_applied_reads() {
  for (auto it = pending_reads_.begin(); it != pending_reads_.end();) {
    PendingRead& read = it->second;
    if (!read.confirmed || read.read_idx > applied_idx_) {
      ++it;
      continue;
    }
    Response r = kv_.read(read.request);
    r.seq = read.request.seq;
    ClientService::reply(read.connection.lock(), r);
    it = pending_reads_.erase(it);
  }
}

void Node::expire_requests() {
  if (stopped_) return;
  const auto now = Clock::now();
  for (auto it = pending_writes_.begin(); it != pending_writes_.end();) {
    auto& waiters = it->second;
    const std::size_t before = waiters.size();
    std::erase_if(waiters, [&](const Waiter& w) {
      if (w.deadline > now) return false;
      Response r;
      r.seq = it->first.second;
      r.status = Status::kTimeout;
      r.error =
          "not decided in time; the write may or may not take effect (retry with the same "
          "sequence number)";
      ClientService::reply(w.connection.lock(), r);
      return true;
    });
    pending_write_count_ -= before - waiters.size();
    it = waiters.empty() ? pending_writes_.erase(it) : std::next(it);
  }
  for (auto it = pending_reads_.begin(); it != pending_reads_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    ClientService::reply(it->second.connection.lock(), reject(it->second.request, Status::kTimeout,
                                                              "read not confirmed in time"));
    it = pending_reads_.erase(it);
  }
  sweep_timer_.expires_after(std::chrono::milliseconds(50));
  sweep_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) expire_requests();
  });
}

// ---- answers ----

Node::Clock::time_point Node::deadline_for(const Request& request) const {
  const std::uint64_t ms =
      request.timeout_ms != 0
          ? std::min<std::uint64_t>(request.timeout_ms, config_.request_timeout_ms)
          : config_.request_timeout_ms;
  return Clock::now() + std::chrono::milliseconds(ms);
}

Response Node::reject(const Request& request, Status status, std::string error) const {
  Response r;
  r.seq = request.seq;
  r.status = status;
  r.error = std::move(error);
  return r;
}

Response Node::not_leader(const Request& request) const {
  const paxos::NodeId leader = replica_.status().leader;
  Response r;
  r.seq = request.seq;
  if (leader == paxos::kNoNode || leader.value() == config_.node_id) {
    r.status = Status::kUnavailable;
    r.error = "no leader right now";
    return r;
  }
  r.status = Status::kNotLeader;
  r.error = "node " + std::to_string(config_.node_id) + " is not the leader";
  r.leader_hint = leader.value();
  for (const PeerConfig& p : config_.peers) {
    if (p.id == leader.value()) r.leader_address = p.client_address;
  }
  return r;
}

NodeStatus Node::node_status() const {
  const paxos::Status s = replica_.status();
  NodeStatus n;
  n.node_id = config_.node_id;
  n.client_address = config_.client_listen;
  n.peer_address = config_.peer_listen;
  n.pid = static_cast<std::int64_t>(::getpid());
  n.role = role_name(s.role);
  n.phase = phase_name(s.phase);
  n.leader_id = s.leader.value();
  n.ballot = ballot_string(s.promise);
  n.decided_idx = s.decided_idx.value();
  n.applied_idx = applied_idx_.value();
  n.log_end = s.log_end.value();
  n.connected_peers = peers_.connected_peers();
  n.revision = kv_.revision();
  const storage::FsyncStats fsync = storage_->writer().fsync_stats();
  n.fsync_count = fsync.count;
  n.fsync_p50_us = fsync.percentile_us(0.5);
  n.fsync_p99_us = fsync.percentile_us(0.99);
  n.fsync_max_us = fsync.max_us;
  n.wal_bytes = storage_->writer().bytes_written();
  n.compacted_idx = replica_.compacted_idx().value();
  n.snapshot_idx = snapshotter_.stats().latest_idx;
  n.snapshots_taken = snapshotter_.stats().taken;
  n.snapshots_installed = snapshotter_.stats().installed;
  n.fsync_enabled = config_.fsync == "on";
  n.fault_injection = faults_.enabled();
  n.active_faults = faults_.describe();
  return n;
}

}  // namespace paxoskv::server
