#include "quorum.h"

#include "assert.h"

namespace paxoskv::paxos {

Quorum Quorum::majority(std::size_t cluster_size) {
  PAXOS_ASSERT(cluster_size > 0, "a cluster has at least one node");
  std::size_t m = cluster_size / 2 + 1;
  return Quorum(cluster_size, m, m);
}

std::optional<Quorum> Quorum::flexible(std::size_t n, std::size_t read, std::size_t write,
                                       std::vector<std::string>* problems) {
  std::vector<std::string> found;
  if (n == 0) found.push_back("the cluster has no nodes");
  if (read == 0 || read > n) {
    found.push_back("read_quorum_size " + std::to_string(read) + " is not in 1.." +
                    std::to_string(n));
  }
  if (write == 0 || write > n) {
    found.push_back("write_quorum_size " + std::to_string(write) + " is not in 1.." +
                    std::to_string(n));
  }
  if (read + write <= n) {
    found.push_back("read_quorum_size + write_quorum_size (" + std::to_string(read + write) +
                    ") must exceed the cluster size (" + std::to_string(n) +
                    ") so that every read quorum meets every write quorum");
  }
  if (!found.empty()) {
    if (problems) problems->insert(problems->end(), found.begin(), found.end());
    return std::nullopt;
  }
  return Quorum(n, read, write);
}

}  // namespace paxoskv::paxos
