// Configuration of one OmniPaxos replica. A plain struct: the server fills it from TOML, flags
// and the environment; the core only ever receives a validated copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quorum.h"
#include "types.h"

namespace paxoskv::paxos {

struct Config {
  NodeId node_id;
  // Every voting member, this node included. Any distinct non-zero ids.
  std::vector<NodeId> nodes;
  ConfigId config_id{1};
  // Higher priority wins ties between ballots with the same n (paper §4: "custom priority").
  std::uint64_t leader_priority = 0;
  // This run of the node: a random number the driver draws at every start (0 = not used). Peers
  // learn it from heartbeats and drop promises made by an earlier run, which matter once a node
  // may have lost its storage (see SequencePaxos::start_amnesiac).
  std::uint64_t incarnation = 0;

  // Flexible quorums; 0 means "majority".
  std::size_t read_quorum_size = 0;
  std::size_t write_quorum_size = 0;

  // Length of one Ballot Leader Election heartbeat round. A leader that stops answering is
  // replaced after two to three rounds; one whose connections close (its process died) at once,
  // if the driver reports it (OmniPaxos::disconnected).
  std::uint32_t election_timeout_ticks = 10;
  // How long the leader waits before resending Prepare to a silent peer, and how often it sends a
  // keep-alive Decide; also how long a follower waits before repeating PrepareReq.
  std::uint32_t resend_timeout_ticks = 5;

  // Batching: the most entries and payload bytes one AcceptDecide or AcceptSync may carry.
  std::size_t batch_entries_max = 4096;
  std::size_t batch_bytes_max = 4 * 1024 * 1024;
  // Pipelining: the most entries sent to a follower but not yet acknowledged by it.
  std::size_t pipeline_entries_max = 1 << 16;
  // Proposals held while there is no leader to take them; beyond this append() refuses.
  std::size_t proposal_buffer_entries_max = 1 << 16;

  // Every problem with this configuration, each a sentence; empty when it is usable.
  std::vector<std::string> validate() const;
  // The quorum system; call only on a configuration that validates.
  Quorum quorum() const;
};

}  // namespace paxoskv::paxos
