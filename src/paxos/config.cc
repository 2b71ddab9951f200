#include "config.h"

#include <algorithm>

#include "assert.h"

namespace paxoskv::paxos {

std::vector<std::string> Config::validate() const {
  std::vector<std::string> problems;
  if (node_id == kNoNode) problems.push_back("node_id must be non-zero");
  if (nodes.empty()) problems.push_back("nodes must list at least this node");
  if (std::find(nodes.begin(), nodes.end(), kNoNode) != nodes.end()) {
    problems.push_back("nodes must not contain node id 0");
  }
  std::vector<NodeId> sorted = nodes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    problems.push_back("nodes must not contain duplicate ids");
  }
  if (node_id != kNoNode && std::find(nodes.begin(), nodes.end(), node_id) == nodes.end()) {
    problems.push_back("nodes must include node_id " + std::to_string(node_id.value()));
  }
  if (config_id.value() == 0) problems.push_back("config_id must be non-zero");
  if (!nodes.empty() && (read_quorum_size != 0 || write_quorum_size != 0)) {
    std::size_t n = nodes.size();
    std::size_t majority = n / 2 + 1;
    Quorum::flexible(n, read_quorum_size ? read_quorum_size : majority,
                     write_quorum_size ? write_quorum_size : majority, &problems);
  }
  if (election_timeout_ticks < 2) problems.push_back("election_timeout_ticks must be at least 2");
  if (resend_timeout_ticks < 1) problems.push_back("resend_timeout_ticks must be at least 1");
  if (batch_entries_max < 1) problems.push_back("batch_entries_max must be at least 1");
  if (batch_bytes_max < 1) problems.push_back("batch_bytes_max must be at least 1");
  if (pipeline_entries_max < batch_entries_max) {
    problems.push_back("pipeline_entries_max must be at least batch_entries_max");
  }
  if (proposal_buffer_entries_max < 1) {
    problems.push_back("proposal_buffer_entries_max must be at least 1");
  }
  return problems;
}

Quorum Config::quorum() const {
  PAXOS_ASSERT(!nodes.empty(), "quorum() needs a validated config");
  std::size_t n = nodes.size();
  std::size_t majority = n / 2 + 1;
  if (read_quorum_size == 0 && write_quorum_size == 0) return Quorum::majority(n);
  auto q = Quorum::flexible(n, read_quorum_size ? read_quorum_size : majority,
                            write_quorum_size ? write_quorum_size : majority);
  PAXOS_ASSERT(q.has_value(), "quorum() needs a validated config");
  return *q;
}

}  // namespace paxoskv::paxos
