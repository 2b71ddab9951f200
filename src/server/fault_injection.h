// The server's fault-injection control (Op::kFault), for the nemesis harness (tests/nemesis).
//
// It exists only when the server was started with --enable-fault-injection: until enable() is
// called every fault request is refused with kBadRequest and changes nothing, so a production
// server cannot be partitioned or crashed by a client that knows the op code.
//
// Faults act on this node only and last until lifted or until the process exits:
//   - network: drop peer messages to and/or from one peer (PeerNetwork::Blocked), so one-way
//     partitions are two requests away; heal-all lifts every block;
//   - disk: sleep N ms before each WAL fdatasync (a slow disk), or make the next fdatasync report
//     EIO, after which the WAL writer ends the process through fatal() -- the correct reaction to a
//     failed fsync; the harness then restarts the node.
// Every applied fault is logged at warn level, so node logs tell what was done to them.
#pragma once

#include <cstdint>
#include <string>

#include "common/protocol.h"
#include "server/peer_network.h"
#include "storage/disk_storage.h"

namespace paxoskv::server {

class FaultInjection {
 public:
  FaultInjection(std::uint64_t self_id, PeerNetwork& peers, storage::DiskStorage& storage);

  void enable() { enabled_ = true; }
  bool enabled() const { return enabled_; }

  // Serves an Op::kFault request: kOk once applied, kBadRequest (with the reason) when disabled or
  // malformed. Never replicated, never part of an exactly-once session.
  Response handle(const Request& request);

  // The faults in force, for NodeStatus ("" if none), e.g.
  // "drop to 2; drop from 2,3; fsync delay 50 ms; fsync failure armed".
  std::string describe() const;

 private:
  Response apply(const FaultCommand& fault);

  const std::uint64_t self_id_;
  PeerNetwork& peers_;
  storage::DiskStorage& storage_;
  bool enabled_ = false;
  std::uint32_t fsync_delay_ms_ = 0;
  bool fsync_failure_armed_ = false;
};

}  // namespace paxoskv::server
