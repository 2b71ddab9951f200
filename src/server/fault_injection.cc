#include "server/fault_injection.h"

#include <spdlog/spdlog.h>

namespace paxoskv::server {

namespace {

// A slow disk, not a dead one: beyond a minute the harness should kill the node instead.
constexpr std::uint32_t kFsyncDelayMsMax = 60'000;

Response answer(const Request& request, Status status, std::string error) {
  Response r;
  r.seq = request.seq;
  r.status = status;
  r.error = std::move(error);
  return r;
}

const char* direction_name(FaultCommand::Direction d) {
  switch (d) {
    case FaultCommand::Direction::kOutgoing:
      return "to";
    case FaultCommand::Direction::kIncoming:
      return "from";
    case FaultCommand::Direction::kBoth:
      return "to and from";
  }
  return "?";
}

}  // namespace

FaultInjection::FaultInjection(std::uint64_t self_id, PeerNetwork& peers,
                               storage::DiskStorage& storage)
    : self_id_(self_id), peers_(peers), storage_(storage) {}

Response FaultInjection::handle(const Request& request) {
  if (!enabled_) {
    return answer(request, Status::kBadRequest,
                  "fault injection is disabled; start the server with --enable-fault-injection");
  }
  if (!request.fault) {
    return answer(request, Status::kBadRequest, "a fault request needs a fault command");
  }
  Response r = apply(*request.fault);
  r.seq = request.seq;
  return r;
}

Response FaultInjection::apply(const FaultCommand& fault) {
  Response r;
  switch (fault.kind) {
    case FaultCommand::Kind::kBlockPeer:
    case FaultCommand::Kind::kUnblockPeer: {
      if (fault.peer == self_id_ || !peers_.set_blocked(fault.peer, peers_.blocked(fault.peer))) {
        r.status = Status::kBadRequest;
        r.error = "node " + std::to_string(fault.peer) + " is not a peer of node " +
                  std::to_string(self_id_);
        return r;
      }
      const bool block = fault.kind == FaultCommand::Kind::kBlockPeer;
      PeerNetwork::Blocked b = peers_.blocked(fault.peer);
      if (fault.direction != FaultCommand::Direction::kIncoming) b.sending = block;
      if (fault.direction != FaultCommand::Direction::kOutgoing) b.receiving = block;
      peers_.set_blocked(fault.peer, b);
      spdlog::warn("fault injection: {} messages {} peer {}",
                   block ? "dropping" : "no longer dropping", direction_name(fault.direction),
                   fault.peer);
      return r;
    }
    case FaultCommand::Kind::kHealAll:
      for (std::uint64_t peer : peers_.peer_ids()) peers_.set_blocked(peer, {});
      fsync_delay_ms_ = 0;
      fsync_failure_armed_ = false;
      storage_.writer().inject_fsync_delay_ms(0);
      storage_.writer().inject_fsync_failure(false);
      spdlog::warn("fault injection: every fault lifted");
      return r;
    case FaultCommand::Kind::kSlowFsync:
      if (fault.fsync_delay_ms > kFsyncDelayMsMax) {
        r.status = Status::kBadRequest;
        r.error = "fsync delay " + std::to_string(fault.fsync_delay_ms) + " ms is above the " +
                  std::to_string(kFsyncDelayMsMax) + " ms limit";
        return r;
      }
      fsync_delay_ms_ = fault.fsync_delay_ms;
      storage_.writer().inject_fsync_delay_ms(fsync_delay_ms_);
      spdlog::warn("fault injection: {} ms delay before each WAL fdatasync", fsync_delay_ms_);
      return r;
    case FaultCommand::Kind::kFailFsync:
      fsync_failure_armed_ = true;
      storage_.writer().inject_fsync_failure(true);
      spdlog::warn("fault injection: the next WAL fdatasync fails with EIO (the node will exit)");
      return r;
  }
  r.status = Status::kBadRequest;  // the codec range-checks kinds; a cast could still get here
  r.error = "unknown fault kind";
  return r;
}

std::string FaultInjection::describe() const {
  std::string to;
  std::string from;
  for (std::uint64_t peer : peers_.peer_ids()) {
    const PeerNetwork::Blocked b = peers_.blocked(peer);
    if (b.sending) to += (to.empty() ? "" : ",") + std::to_string(peer);
    if (b.receiving) from += (from.empty() ? "" : ",") + std::to_string(peer);
  }
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (!to.empty()) add("drop to " + to);
  if (!from.empty()) add("drop from " + from);
  if (fsync_delay_ms_ > 0) add("fsync delay " + std::to_string(fsync_delay_ms_) + " ms");
  if (fsync_failure_armed_) add("fsync failure armed");
  return out;
}

}  // namespace paxoskv::server
