// Shared helpers for the core's unit tests: configurations, ballots, hand-built messages and
// outbox filters. Everything is deterministic: no threads, no clocks.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "paxos/config.h"
#include "paxos/memory_storage.h"
#include "paxos/messages.h"
#include "paxos/omni_paxos.h"
#include "paxos/sequence_paxos.h"

namespace paxoskv::paxos::testing {

inline constexpr ConfigId kConfig{1};

inline NodeId id(std::uint64_t n) { return NodeId(n); }
inline LogIndex idx(std::uint64_t n) { return LogIndex(n); }

// A ballot of configuration kConfig: (n, priority, pid).
inline Ballot ballot(std::uint32_t n, std::uint64_t pid, std::uint64_t priority = 0) {
  return Ballot{kConfig, n, priority, NodeId(pid)};
}

// A valid configuration for `self` among `ids`, with small timeouts so tests stay short.
inline Config make_config(std::uint64_t self, std::initializer_list<std::uint64_t> ids) {
  Config c;
  c.node_id = NodeId(self);
  for (std::uint64_t n : ids) c.nodes.push_back(NodeId(n));
  c.config_id = kConfig;
  c.election_timeout_ticks = 4;
  c.resend_timeout_ticks = 3;
  return c;
}

inline Message msg(std::uint64_t from, std::uint64_t to, Payload payload,
                   ConfigId config = kConfig) {
  return Message{NodeId(from), NodeId(to), config, std::move(payload)};
}

inline std::vector<Entry> entries(std::initializer_list<const char*> values) {
  return std::vector<Entry>(values.begin(), values.end());
}

// Messages of payload type T, with their destinations.
template <typename T>
std::vector<std::pair<NodeId, T>> of_type(const std::vector<Message>& out) {
  std::vector<std::pair<NodeId, T>> found;
  for (const Message& m : out) {
    if (const T* p = std::get_if<T>(&m.payload)) found.emplace_back(m.to, *p);
  }
  return found;
}

template <typename T>
std::size_t count_of(const std::vector<Message>& out) {
  return of_type<T>(out).size();
}

// The single message of type T in `out`, addressed to `to`; fails the test otherwise.
template <typename T>
T only(const std::vector<Message>& out, std::uint64_t to) {
  std::vector<T> found;
  for (auto& [dest, p] : of_type<T>(out)) {
    if (dest == NodeId(to)) found.push_back(p);
  }
  EXPECT_EQ(found.size(), 1u) << "expected exactly one such message to " << to;
  return found.empty() ? T{} : found.front();
}

// Names of all payloads, in order, for readable exact-outbox assertions.
inline std::vector<std::string> names(const std::vector<Message>& out) {
  std::vector<std::string> n;
  for (const Message& m : out) n.push_back(payload_name(m.payload));
  return n;
}

inline std::vector<Entry> log_of(const MemoryStorage& s) { return s.entries(); }

// One SequencePaxos over its own MemoryStorage, with helpers to drive it.
struct SpNode {
  explicit SpNode(Config c) : config(std::move(c)) {}
  SpNode(Config c, MemoryStorage initial) : config(std::move(c)), storage(std::move(initial)) {}
  void start() { sp = std::make_unique<SequencePaxos>(config, storage); }

  // MemoryStorage is durable at once: report it before taking the outbox, as a driver that
  // syncs synchronously would.
  std::vector<Message> out() {
    sp->made_durable(sp->durability_mark());
    std::vector<Message> o;
    sp->take_outgoing(o);
    return o;
  }
  void deliver(const Message& m) { sp->handle(m); }
  void ticks(int n) {
    for (int i = 0; i < n; ++i) sp->tick();
  }

  Config config;
  MemoryStorage storage;
  std::unique_ptr<SequencePaxos> sp;
};

// A started SequencePaxos with its start-up PrepareReqs already drained.
inline std::unique_ptr<SpNode> sp_node(Config c, MemoryStorage initial = {}) {
  auto n = std::make_unique<SpNode>(std::move(c), std::move(initial));
  n->start();
  n->out();
  return n;
}

// Storage holding `log`, accepted in `round`, with `decided` and promise `promise`.
inline MemoryStorage stored(std::vector<Entry> log, Ballot round, std::uint64_t decided,
                            Ballot promise) {
  MemoryStorage s;
  s.append(log);
  s.set_accepted_round(round);
  s.set_decided_idx(LogIndex(decided));
  s.set_promise(promise);
  return s;
}

// One OmniPaxos over its own MemoryStorage.
struct OpNode {
  explicit OpNode(const Config& c, MemoryStorage initial = {})
      : storage(std::move(initial)), px(c, storage) {}
  std::vector<Message> out() {
    px.made_durable(px.durability_mark());
    std::vector<Message> o;
    px.take_outgoing(o);
    return o;
  }
  MemoryStorage storage;
  OmniPaxos px;
};

}  // namespace paxoskv::paxos::testing
