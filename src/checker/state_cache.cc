#include "checker/state_cache.h"

#include <algorithm>

#include "checker/checker_assert.h"

namespace paxoskv::checker {

namespace {
constexpr std::uint32_t kNoMember = UINT32_MAX;
}

StateCache::StateCache() : index_(1024, Hash{this}, Equal{this}) {}

bool StateCache::Equal::operator()(std::uint32_t a, std::uint32_t b) const {
  const Group& x = cache->groups_[a];
  const Group& y = cache->groups_[b];
  if (x.hash != y.hash || x.value != y.value || x.p != y.p || x.length != y.length) return false;
  const auto* px = cache->pool_.data() + x.offset;
  return std::equal(px, px + x.length, cache->pool_.data() + y.offset);
}

std::uint32_t StateCache::add_member(std::uint32_t group,
                                     const std::vector<std::uint32_t>& unknown) {
  CHECKER_ASSERT(members_.size() < kNoMember, "too many search states");
  members_.push_back(Member{pool_.size(), static_cast<std::uint32_t>(unknown.size()),
                            groups_[group].first_member, false});
  pool_.insert(pool_.end(), unknown.begin(), unknown.end());
  groups_[group].first_member = static_cast<std::uint32_t>(members_.size() - 1);
  return groups_[group].first_member;
}

std::optional<StateCache::MemberId> StateCache::visit(
    std::uint64_t known_hash, ValueId value, std::uint32_t p,
    const std::vector<std::uint32_t>& known_sparse, const std::vector<std::uint32_t>& unknown) {
  // Tentatively append the group; drop it again if an equal one exists.
  CHECKER_ASSERT(groups_.size() < kNoMember, "too many search states");
  groups_.push_back(Group{known_hash, pool_.size(), static_cast<std::uint32_t>(known_sparse.size()),
                          value, p, kNoMember});
  pool_.insert(pool_.end(), known_sparse.begin(), known_sparse.end());
  const auto [it, inserted] = index_.insert(static_cast<std::uint32_t>(groups_.size() - 1));
  if (inserted) return add_member(*it, unknown);
  pool_.resize(groups_.back().offset);
  groups_.pop_back();

  for (std::uint32_t m = groups_[*it].first_member; m != kNoMember; m = members_[m].next) {
    const Member& member = members_[m];
    const auto* u = pool_.data() + member.offset;
    const bool same =
        member.length == unknown.size() && std::equal(u, u + member.length, unknown.begin());
    if (same) return std::nullopt;  // visited before (never an ancestor: sets grow on the stack)
    if (member.failed && std::includes(unknown.begin(), unknown.end(), u, u + member.length)) {
      return std::nullopt;  // dominated by a failed state
    }
  }
  return add_member(*it, unknown);
}

}  // namespace paxoskv::checker
