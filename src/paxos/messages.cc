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

}  // namespace paxoskv::paxos
