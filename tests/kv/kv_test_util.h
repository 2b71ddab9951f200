// Request builders and comparison helpers shared by the KV tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/protocol.h"
#include "server/kv/kv_store.h"

namespace paxoskv::kv_test {

inline Request put(std::string key, std::string value, bool prev_kv = false) {
  Request r;
  r.op = Op::kPut;
  r.key = std::move(key);
  r.value = std::move(value);
  r.prev_kv = prev_kv;
  return r;
}

inline Request get(std::string key) {
  Request r;
  r.op = Op::kGet;
  r.key = std::move(key);
  return r;
}

inline Request del(std::string key, bool prev_kv = false) {
  Request r;
  r.op = Op::kDelete;
  r.key = std::move(key);
  r.prev_kv = prev_kv;
  return r;
}

inline Request del_range(std::string key, std::string range_end, bool prev_kv = false) {
  Request r;
  r.op = Op::kDeleteRange;
  r.key = std::move(key);
  r.range_end = std::move(range_end);
  r.prev_kv = prev_kv;
  return r;
}

inline Request range(std::string key, std::string range_end, std::uint64_t limit = 0) {
  Request r;
  r.op = Op::kRange;
  r.key = std::move(key);
  r.range_end = std::move(range_end);
  r.limit = limit;
  return r;
}

inline Request all_keys() {
  return range(std::string(1, '\0'), std::string(1, '\0'));
}

inline Request cas_value(std::string key, std::string expected, std::string value) {
  Request r;
  r.op = Op::kCas;
  r.key = std::move(key);
  r.value = std::move(value);
  r.compare.target = Compare::Target::kValue;
  r.compare.value = std::move(expected);
  return r;
}

inline Request cas_number(std::string key, Compare::Target target, std::int64_t expected,
                          std::string value) {
  Request r;
  r.op = Op::kCas;
  r.key = std::move(key);
  r.value = std::move(value);
  r.compare.target = target;
  r.compare.number = expected;
  return r;
}

inline Request with_session(Request r, std::uint64_t client_id, std::uint64_t seq,
                            std::uint64_t first_unacked_seq) {
  r.client_id = client_id;
  r.seq = seq;
  r.first_unacked_seq = first_unacked_seq;
  return r;
}

// Every field apply() and read() can set.
inline bool same_response(const Response& a, const Response& b) {
  return a.seq == b.seq && a.status == b.status && a.error == b.error && a.revision == b.revision &&
         a.kvs == b.kvs && a.prev_kv == b.prev_kv && a.succeeded == b.succeeded &&
         a.deleted == b.deleted && a.more == b.more && a.leader_hint == b.leader_hint &&
         a.leader_address == b.leader_address && a.node.has_value() == b.node.has_value();
}

inline std::vector<KeyValue> contents(const KvStore& store) {
  return store.read(all_keys()).kvs;
}

inline KeyValue kv(std::string key, std::string value, std::int64_t create, std::int64_t mod,
                   std::int64_t version) {
  return KeyValue{std::move(key), std::move(value), create, mod, version};
}

// Applies at the next log index.
inline Response apply_next(KvStore& store, const Request& r) {
  return store.apply(store.applied_index(), r);
}

}  // namespace paxoskv::kv_test
