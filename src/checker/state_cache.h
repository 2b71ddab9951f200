// The search's memo of visited states, with dominance for unknown-outcome operations.
//
// A state is (K, U, value): K the linearized operations with a known outcome, U the linearized
// ones with an unknown outcome. Porcupine's rule is that a state reached again is skipped. Here a
// state is also skipped when a *failed* state (K, U', value) with U' a subset of U exists: every
// way to finish from (K, U, value) also finishes from (K, U', value), because the extra unknown
// operations can simply be left out (they constrain nothing: they never return), so a failure of
// the smaller state proves the larger one fails too. Only failed states are used for dominance:
// a state still on the search stack has not been proven anything.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

#include "checker/key_history.h"

namespace paxoskv::checker {

class StateCache {
 public:
  using MemberId = std::uint32_t;

  StateCache();

  // Records the state and returns its id, or nullopt if it was visited before or is dominated by
  // a failed state. `known_hash` must be a function of (p, known_sparse) only; `unknown` sorted.
  // (p, known_sparse) encodes K exactly; see search.cc, invariant I5.
  std::optional<MemberId> visit(std::uint64_t known_hash, ValueId value, std::uint32_t p,
                                const std::vector<std::uint32_t>& known_sparse,
                                const std::vector<std::uint32_t>& unknown);

  // The state was explored to the end without success.
  void mark_failed(MemberId id) { members_[id].failed = true; }

  std::size_t size() const { return members_.size(); }

 private:
  // All states with the same (K, value); their U's hang off it as a linked list of members.
  struct Group {
    std::uint64_t hash;
    std::size_t offset;  // of K's sparse list in pool_
    std::uint32_t length;
    ValueId value;
    std::uint32_t p;
    std::uint32_t first_member;
  };
  struct Member {
    std::size_t offset;  // of U in pool_
    std::uint32_t length;
    std::uint32_t next;
    bool failed;
  };
  struct Hash {
    const StateCache* cache;
    std::size_t operator()(std::uint32_t g) const { return cache->groups_[g].hash; }
  };
  struct Equal {
    const StateCache* cache;
    bool operator()(std::uint32_t a, std::uint32_t b) const;
  };

  std::uint32_t add_member(std::uint32_t group, const std::vector<std::uint32_t>& unknown);

  std::vector<Group> groups_;
  std::vector<Member> members_;
  std::vector<std::uint32_t> pool_;  // the sparse lists of every group and member
  std::unordered_set<std::uint32_t, Hash, Equal> index_;
};

}  // namespace paxoskv::checker
