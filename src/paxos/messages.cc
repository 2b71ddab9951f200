#include "messages.h"

namespace paxoskv::paxos {

const char* payload_name(const Payload& payload) {
  static constexpr const char* kNames[] = {
      "HeartbeatRequest", "HeartbeatReply", "Prepare",    "Promise",     "AcceptSync",
      "AcceptDecide",     "Accepted",       "Decide",     "PrepareReq",  "NotAccepted",
      "ProposalForward",  "ReadQuorumCheck", "ReadQuorumAck",
      "SnapshotRequest",  "SnapshotChunk"};
  static_assert(std::size(kNames) == std::variant_size_v<Payload>);
  return kNames[payload.index()];
}

SendRule send_rule(const Payload& payload) {
  if (std::holds_alternative<HeartbeatRequest>(payload) ||
      std::holds_alternative<HeartbeatReply>(payload) ||
      std::holds_alternative<ReadQuorumCheck>(payload) ||
      std::holds_alternative<ReadQuorumAck>(payload) ||
      std::holds_alternative<ProposalForward>(payload)) {
    return SendRule::kAnyTime;
  }
  if (std::holds_alternative<AcceptDecide>(payload) || std::holds_alternative<Decide>(payload)) {
    return SendRule::kBeforeSyncInOrder;
  }
  return SendRule::kAfterSync;
}

}  // namespace paxoskv::paxos
