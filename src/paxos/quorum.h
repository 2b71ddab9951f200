// Quorum arithmetic with flexible quorums (Howard et al., "Flexible Paxos").
//
// Safety needs only that every prepare (read) quorum intersects every accept (write) quorum:
// read + write > n. Two accept quorums need not intersect, because every leader first completes a
// prepare phase.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace paxoskv::paxos {

class Quorum {
 public:
  // Majority quorums for `cluster_size` nodes.
  static Quorum majority(std::size_t cluster_size);
  // Flexible quorums; nullopt (with the reasons in `problems`) unless they intersect and fit.
  static std::optional<Quorum> flexible(std::size_t cluster_size, std::size_t read_quorum_size,
                                        std::size_t write_quorum_size,
                                        std::vector<std::string>* problems = nullptr);

  std::size_t cluster_size() const { return cluster_size_; }
  std::size_t read_quorum_size() const { return read_; }
  std::size_t write_quorum_size() const { return write_; }
  bool is_read_quorum(std::size_t nodes) const { return nodes >= read_; }
  bool is_write_quorum(std::size_t nodes) const { return nodes >= write_; }

 private:
  Quorum(std::size_t n, std::size_t read, std::size_t write)
      : cluster_size_(n), read_(read), write_(write) {}
  std::size_t cluster_size_;
  std::size_t read_;
  std::size_t write_;
};

}  // namespace paxoskv::paxos
