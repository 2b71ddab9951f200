// KvStore: the replicated state machine behind paxoskv, as a pure, deterministic class.
//
// The data model is etcd's: an ordered map key -> {value, create_revision, mod_revision,
// version} and one store revision that starts at 0 and grows by exactly one per write that
// changes state (a put; a delete or delete-range that removed at least one key; a cas whose
// comparison held). Every key written by that command carries that revision.
//
// Contract with the server (style point 9): feed every decided Request to apply() in log order;
// answer reads with read(); send snapshot() to a lagging replica and restore() it there. There is
// no I/O, clock, thread or randomness in here, so replicas that apply the same log hold the same
// state, which state_hash() lets tests and operators compare.
//
// Exactly-once: commands with client_id != 0 go through ClientSessions (client_sessions.h has the
// rules); a retried (client_id, seq) gets the first answer, byte for byte, and applies nothing.
//
// Ranges [key, range_end) follow etcd: an empty range_end means just `key`, "\0" (one zero byte)
// means every key >= key, any other range_end must be >= key. Keys are never empty; "\0" is the
// smallest key, so key "\0" with range_end "\0" covers the whole store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/protocol.h"
#include "server/kv/client_sessions.h"

namespace paxoskv {

struct KvStoreOptions {
  // A client session that no applied command used during this many log indices is removed.
  // Every replica must use the same value: it changes replicated state.
  std::uint64_t session_expiry_entries = 1'000'000;
  // At most this many unacknowledged answers cached per client; beyond it writes get kBusy.
  std::size_t session_responses_max = 4096;
};

// Move-only: the session table holds iterators into itself. To clone a store, restore() a
// snapshot() into a fresh one.
class KvStore {
 public:
  explicit KvStore(KvStoreOptions options = {});

  // Applies the decided command at `log_index`. Indices must grow strictly
  // (log_index >= applied_index()); gaps are allowed, for log entries that are not commands.
  // Op kPut, kDelete, kDeleteRange, kCas change state; any other op, an empty key, or an invalid
  // range or compare target answers kBadRequest and changes nothing but applied_index() and the
  // session table. Response.seq echoes command.seq; Response.revision is the store revision after
  // the command (the original one for a replayed answer).
  //   put:          kOk; prev_kv if requested and the key existed.
  //   delete:       kOk; deleted = 0 or 1; prev_kv if requested and the key existed.
  //   delete-range: kOk; deleted = keys removed; if prev_kv is requested the removed pairs are
  //                 returned in `kvs` (etcd's prev_kvs), in key order.
  //   cas:          compares compare.target of `key` by equality (an absent key has version 0
  //                 and revisions 0, and no value compares equal); if it holds: puts `value`,
  //                 kOk, succeeded = true (prev_kv as for put); otherwise kCompareFailed,
  //                 succeeded = false, nothing changed.
  Response apply(std::uint64_t log_index, const Request& command);

  // Serves kGet and kRange from the current state (not through the log); other ops answer
  // kBadRequest. get: kOk with kvs = {kv}, or kNotFound. range: kOk with the pairs of
  // [key, range_end) in key order, at most `limit` of them (0 = no limit); more = true when the
  // limit stopped it with keys left.
  Response read(const Request& request) const;

  // One past the last applied log index: the next index to read from the log (0 = none yet;
  // the same convention as paxos decided_idx).
  std::uint64_t applied_index() const { return applied_end_; }
  std::int64_t revision() const { return revision_; }
  std::size_t key_count() const { return map_.size(); }
  std::size_t session_count() const { return sessions_.size(); }
  const ClientSessions& sessions() const { return sessions_; }

  // FNV-1a over the snapshot body: applied_index, revision, every key and the session table.
  // Equal on replicas that applied the same log prefix; O(size of the state), not for hot paths.
  std::uint64_t state_hash() const;

  // A self-describing binary image of the whole state (format in kv_store.cc). restore()
  // replaces this store's state with a snapshot's and returns true, or returns false and leaves
  // the state untouched when `bytes` is not a valid snapshot of a supported version. The options
  // are not part of a snapshot: restore() keeps this store's.
  std::string snapshot() const;
  bool restore(std::string_view bytes);

 private:
  struct Entry {
    std::string value;
    std::int64_t create_revision = 0;
    std::int64_t mod_revision = 0;
    std::int64_t version = 0;
  };
  using Map = std::map<std::string, Entry, std::less<>>;
  struct Span {
    Map::const_iterator first;
    Map::const_iterator last;
  };

  // Every answer is built in place in the caller's Response (no copies of a 600-byte struct).
  void execute(const Request& command, Response& out);
  void set_bad_request(const Request& request, const char* why, Response& out) const;
  void do_put(const Request& command, Response& out);
  void do_delete(const Request& command, Response& out);
  void do_delete_range(const Request& command, Response& out);
  void do_cas(const Request& command, Response& out);
  bool compare_holds(const Request& command) const;
  // Validates and resolves [key, range_end); nullptr if valid, else why not.
  const char* resolve_range(const Request& request, Span& span) const;
  void encode_body(kv_codec::Encoder& e) const;

  static KeyValue to_key_value(const std::string& key, const Entry& entry);

  KvStoreOptions options_;
  Map map_;
  std::int64_t revision_ = 0;
  std::uint64_t applied_end_ = 0;
  ClientSessions sessions_;
};

}  // namespace paxoskv
