// Vocabulary types of the consensus core: strong ids, log indices, ballots and entries.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace paxoskv::paxos {

// A number that cannot be mixed up with another kind of number. `Tag` only distinguishes types.
template <typename Tag, typename Rep>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}
  constexpr Rep value() const { return value_; }
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(value_);
  }

 private:
  Rep value_{};
};

// Node ids are arbitrary non-zero numbers chosen by the operator (not 1..n); 0 means "nobody".
using NodeId = StrongId<struct NodeIdTag, std::uint64_t>;
inline constexpr NodeId kNoNode{0};

// Identifies a cluster configuration. Messages and ballots of another configuration are ignored,
// which is what lets reconfiguration start a new configuration beside the old one.
using ConfigId = StrongId<struct ConfigIdTag, std::uint32_t>;

// A position in the replicated log. Index i names the i-th entry (0-based); an "end" or
// "decided_idx" value names the first position *not* covered, so an empty log has end 0.
class LogIndex {
 public:
  constexpr LogIndex() = default;
  constexpr explicit LogIndex(std::uint64_t value) : value_(value) {}
  constexpr std::uint64_t value() const { return value_; }
  friend constexpr auto operator<=>(LogIndex, LogIndex) = default;
  // Moving an index by a count of entries gives an index; the distance of two indices is a count.
  friend constexpr LogIndex operator+(LogIndex index, std::uint64_t count) {
    return LogIndex(index.value_ + count);
  }
  friend constexpr std::uint64_t operator-(LogIndex later, LogIndex earlier) {
    return later.value_ - earlier.value_;
  }
  template <class Archive>
  void serialize(Archive& archive) {
    archive(value_);
  }

 private:
  std::uint64_t value_ = 0;
};

// A log entry is an opaque byte string to the core; the state machine above gives it meaning.
using Entry = std::string;

// A ballot orders leaders: (n, priority, pid), compared in that order. The configuration id rides
// along so a node can ignore ballots of another configuration, but it is not part of the order.
struct Ballot {
  ConfigId config_id{};
  std::uint32_t n = 0;
  std::uint64_t priority = 0;
  NodeId pid = kNoNode;

  friend constexpr std::strong_ordering operator<=>(const Ballot& a, const Ballot& b) {
    if (auto c = a.n <=> b.n; c != 0) return c;
    if (auto c = a.priority <=> b.priority; c != 0) return c;
    return a.pid <=> b.pid;
  }
  friend constexpr bool operator==(const Ballot& a, const Ballot& b) { return (a <=> b) == 0; }
  // The zero ballot (n == 0 and no node) stands for "no ballot yet".
  constexpr bool is_zero() const { return n == 0 && pid == kNoNode; }

  template <class Archive>
  void serialize(Archive& archive) {
    archive(config_id, n, priority, pid);
  }
};

}  // namespace paxoskv::paxos

template <typename Tag, typename Rep>
struct std::hash<paxoskv::paxos::StrongId<Tag, Rep>> {
  std::size_t operator()(paxoskv::paxos::StrongId<Tag, Rep> id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
