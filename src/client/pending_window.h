// The AsyncClient's outstanding requests (async_client.cc), kept out of the way of its logic.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "client/async_client.h"

namespace paxoskv::client::detail {

using Clock = std::chrono::steady_clock;

struct PendingRequest {
  enum class State { kSent, kBackoff };
  std::uint64_t seq = 0;  // 0 while the slot is free
  Request request;
  AsyncClient::Callback done;
  Clock::time_point deadline;  // the request's own deadline (request_timeout after send())
  Clock::time_point wake_at;   // attempt timeout while kSent, end of the backoff while kBackoff
  State state = State::kBackoff;
  bool user_timeout_ms = false;      // the caller set request.timeout_ms itself
  std::uint64_t sent_conn = 0;       // generation of the connection of the latest attempt
  std::uint64_t frames_at_send = 0;  // that connection's frames_received() when it was sent
  int attempts = 0;
  int failures = 0;  // retryable failures so far: drives the backoff
  int redirects = 0;
  std::string last_error;
};

// The outstanding requests, by seq. Seqs are handed out consecutively and mostly complete in
// order, so a ring of pool indices covering [first outstanding seq, next seq) finds, adds and
// removes in O(1) without allocating; the PendingRequests themselves live in a pool (a deque:
// stable addresses) and are reused. Sweeps walk the pool, whose size is the most requests ever
// outstanding at once, not the ring, which a long-stuck request stretches.
class PendingWindow {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t count() const { return count_; }
  // The lowest outstanding seq (only meaningful when !empty()).
  std::uint64_t first_seq() const { return base_; }

  // Calls f(PendingRequest&) for every outstanding request, in no particular order. f must not
  // add or erase.
  template <class F>
  void for_each(F&& f) {
    if (count_ == 0) return;
    for (PendingRequest& p : pool_) {
      if (p.seq != 0) f(p);
    }
  }

  // Adds `seq`, which must be the next seq (the window's end, or anything when empty).
  PendingRequest& add(std::uint64_t seq) {
    if (size_ == 0) base_ = seq;
    if (size_ == ring_.size()) grow();
    std::uint32_t index;
    if (free_.empty()) {
      index = static_cast<std::uint32_t>(pool_.size());
      pool_.emplace_back();
    } else {
      index = free_.back();
      free_.pop_back();
    }
    ring_[(head_ + size_) & (ring_.size() - 1)] = index;
    ++size_;
    ++count_;
    pool_[index].seq = seq;
    return pool_[index];
  }

  PendingRequest* find(std::uint64_t seq) {
    if (seq < base_ || seq - base_ >= size_) return nullptr;
    const std::uint32_t index = ring_[(head_ + (seq - base_)) & (ring_.size() - 1)];
    return index == kEmpty ? nullptr : &pool_[index];
  }

  // Removes `seq` (which must be present); the slot is reset and reused by a later add().
  void erase(std::uint64_t seq) {
    std::uint32_t& cell = ring_[(head_ + (seq - base_)) & (ring_.size() - 1)];
    PendingRequest& p = pool_[cell];
    p.seq = 0;
    p.done = nullptr;
    p.last_error.clear();
    p.attempts = p.failures = p.redirects = 0;
    free_.push_back(cell);
    cell = kEmpty;
    --count_;
    while (size_ > 0 && ring_[head_] == kEmpty) {
      head_ = (head_ + 1) & (ring_.size() - 1);
      ++base_;
      --size_;
    }
  }

  void clear() {
    pool_.clear();
    free_.clear();
    ring_.clear();
    head_ = size_ = count_ = 0;
  }

 private:
  static constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();

  void grow() {
    std::vector<std::uint32_t> bigger(std::max<std::size_t>(16, ring_.size() * 2), kEmpty);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_ = std::move(bigger);
    head_ = 0;
  }

  std::deque<PendingRequest> pool_;
  std::vector<std::uint32_t> free_;  // pool slots not in use
  std::vector<std::uint32_t> ring_;  // power-of-two size; kEmpty = completed
  std::size_t head_ = 0;             // ring index of base_
  std::uint64_t base_ = 0;
  std::size_t size_ = 0;   // seqs in the window
  std::size_t count_ = 0;  // outstanding ones among them
};

}  // namespace paxoskv::client::detail
