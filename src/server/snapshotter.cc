#include "server/snapshotter.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "storage/fatal.h"

namespace paxoskv::server {

using paxos::LogIndex;
using paxos::NodeId;

Snapshotter::Snapshotter(Options options, NodeId self, paxos::ConfigId config_id,
                         storage::SnapshotStore& store, KvStore& kv, paxos::OmniPaxos& replica,
                         Send send)
    : options_(std::move(options)),
      self_(self),
      config_id_(config_id),
      store_(store),
      kv_(kv),
      replica_(replica),
      send_(std::move(send)) {}

LogIndex Snapshotter::restore_at_start() {
  durable_decided_ = replica_.decided_idx();  // read back from storage: durable
  const LogIndex compacted = replica_.compacted_idx();
  const auto latest = store_.latest();
  if (!latest) {
    if (compacted.value() > 0) {
      storage::fatal("the log starts at index " + std::to_string(compacted.value()) +
                     " but no snapshot is left to stand for the entries before it: this data "
                     "directory cannot be recovered; restore it from a backup or wipe it and let "
                     "the node catch up from its peers");
    }
    return LogIndex(0);
  }
  auto payload = store_.load(latest->index);
  if (!payload) {
    storage::fatal("cannot read snapshot " + latest->path + ": " + payload.error().message);
  }
  if (!kv_.restore(payload.value())) {
    storage::fatal("snapshot " + latest->path +
                   " has a valid checksum but does not decode as a state machine of a supported "
                   "version");
  }
  if (kv_.applied_index() != latest->index.value()) {
    storage::fatal("snapshot " + latest->path + " holds the state after " +
                   std::to_string(kv_.applied_index()) + " entries, not " +
                   std::to_string(latest->index.value()) + " as its name says");
  }
  if (latest->index < compacted) {
    storage::fatal("the log starts at index " + std::to_string(compacted.value()) +
                   " but the newest snapshot, " + latest->path + ", stops at " +
                   std::to_string(latest->index.value()) + ": the entries between are lost");
  }
  last_snapshot_ = latest->index;
  stats_.latest_idx = latest->index.value();
  spdlog::info("restored snapshot at index {} ({} bytes, {} keys); the log starts at {}",
               latest->index.value(), latest->size_bytes, kv_.key_count(), compacted.value());
  return latest->index;
}

void Snapshotter::after_apply(LogIndex applied) {
  if (options_.interval_entries == 0 || pending_) return;
  if (applied < last_snapshot_ + options_.interval_entries) return;
  pending_ = Pending{applied, kv_.snapshot(), Clock::now()};
  write_pending();
}

void Snapshotter::on_durable_decided(LogIndex decided) {
  durable_decided_ = std::max(durable_decided_, decided);
  write_pending();
}

void Snapshotter::write_pending() {
  if (!pending_ || pending_->index > durable_decided_) return;
  const LogIndex at = pending_->index;
  const LogIndex previous = last_snapshot_;
  store_.write(at, pending_->payload);
  last_snapshot_ = at;
  ++stats_.taken;
  stats_.latest_idx = at.value();
  stats_.last_write_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - pending_->encoded_at)
          .count());
  pending_.reset();
  // Trim at the previous snapshot, never at one we do not hold; an app ahead of the log (after a
  // restart from a snapshot the log had not reached) waits until the log decides past it.
  if (previous > replica_.compacted_idx() && previous <= replica_.decided_idx()) {
    replica_.trim(previous);
  }
  spdlog::info("snapshot at index {} written {} us after it was encoded; log trimmed below {}",
               at.value(), stats_.last_write_us, replica_.compacted_idx().value());
}

void Snapshotter::poll(Clock::time_point now) {
  const std::optional<paxos::SnapshotWanted> wanted = replica_.snapshot_wanted();
  if (transfer_ && (!wanted || transfer_->wanted != *wanted)) {
    // The core no longer needs this one (a new ballot, a newer sync): drop what we staged.
    if (transfer_->receiver) transfer_->receiver->abort();
    transfer_.reset();
  }
  if (!wanted) return;
  if (!transfer_) {
    spdlog::info("fetching snapshot at index {} from node {}", wanted->index.value(),
                 wanted->from.value());
    transfer_ = Transfer{*wanted, nullptr, 0, now, now};
    request_next(*transfer_, now);
    return;
  }
  if (now - transfer_->last_progress > options_.transfer_timeout) {
    abandon("no progress");
    return;
  }
  // A request or its chunk may have been lost with a peer connection: ask again.
  if (now - transfer_->last_request > options_.transfer_timeout / 4) request_next(*transfer_, now);
}

void Snapshotter::request_next(Transfer& transfer, Clock::time_point now) {
  transfer.last_request = now;
  send(transfer.wanted.from,
       paxos::SnapshotRequest{transfer.wanted.index, transfer.received_bytes});
}

void Snapshotter::abandon(const char* why) {
  spdlog::warn("snapshot transfer of index {} from node {} abandoned: {}",
               transfer_->wanted.index.value(), transfer_->wanted.from.value(), why);
  if (transfer_->receiver) transfer_->receiver->abort();
  transfer_.reset();
  replica_.snapshot_failed();
}

void Snapshotter::on_request(NodeId from, const paxos::SnapshotRequest& request) {
  paxos::SnapshotChunk chunk{request.index, request.offset, 0, false, {}};
  auto read = store_.read_chunk(request.index, request.offset, options_.chunk_bytes);
  if (read) {
    chunk.found = true;
    chunk.total_bytes = read.value().total_bytes;
    chunk.data = std::move(read.value().data);
    stats_.served_bytes += chunk.data.size();
  } else {
    spdlog::info("node {} asked for snapshot {} at offset {}: {}", from.value(),
                 request.index.value(), request.offset, read.error().message);
  }
  send(from, std::move(chunk));
}

std::optional<LogIndex> Snapshotter::on_chunk(NodeId from, const paxos::SnapshotChunk& chunk,
                                              Clock::time_point now) {
  if (!transfer_ || transfer_->wanted.from != from || transfer_->wanted.index != chunk.index ||
      chunk.offset != transfer_->received_bytes) {
    return std::nullopt;  // a duplicate, or for a transfer we gave up: harmless
  }
  if (!chunk.found) {
    abandon("the source no longer has it");
    return std::nullopt;
  }
  Transfer& t = *transfer_;
  if (!t.receiver) {
    auto receiver = store_.begin_receive(chunk.index, chunk.total_bytes);
    if (!receiver) {
      abandon(receiver.error().message.c_str());
      return std::nullopt;
    }
    t.receiver = std::move(receiver.value());
  }
  if (auto added = t.receiver->add(chunk.offset, chunk.data); !added) {
    abandon(added.error().message.c_str());
    return std::nullopt;
  }
  t.received_bytes += chunk.data.size();
  t.last_progress = now;
  if (t.received_bytes < chunk.total_bytes) {
    request_next(t, now);
    return std::nullopt;
  }
  return install(t);
}

std::optional<LogIndex> Snapshotter::install(Transfer& t) {
  const LogIndex index = t.wanted.index;
  const NodeId source = t.wanted.from;
  // finish() checks length and CRC, then makes the file durable under its final name.
  if (auto finished = t.receiver->finish(); !finished) {
    abandon(finished.error().message.c_str());
    return std::nullopt;
  }
  auto payload = store_.load(index);
  KvStore staged(options_.kv);
  if (!payload || !staged.restore(payload.value()) || staged.applied_index() != index.value()) {
    abandon("the received snapshot does not decode");
    return std::nullopt;
  }
  transfer_.reset();  // `t` is gone from here on
  if (!replica_.snapshot_installed(index)) {
    // Wanted a moment ago, not any more: keep the file (it is a valid snapshot), change nothing.
    return std::nullopt;
  }
  kv_ = std::move(staged);
  last_snapshot_ = std::max(last_snapshot_, index);
  if (pending_ && pending_->index <= index) pending_.reset();  // the installed one is newer
  ++stats_.installed;
  stats_.latest_idx = std::max(stats_.latest_idx, index.value());
  spdlog::info("installed snapshot at index {} from node {} ({} keys)", index.value(),
               source.value(), kv_.key_count());
  return index;
}

void Snapshotter::send(NodeId to, paxos::Payload payload) {
  send_(paxos::Message{self_, to, config_id_, std::move(payload)});
}

}  // namespace paxoskv::server
