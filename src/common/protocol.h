// The client protocol and the peer handshake, as plain aggregates with cereal-style
// `serialize` templates. Encoding and framing live in codec.h / frame.h; nothing here includes a
// serialization library.
//
// A client connection carries pipelined Requests; each Response echoes the Request's `seq`, so
// responses may come back in any order. Writes are exactly-once per (client_id, seq): a retry
// carries the same pair and is answered with the first result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace paxoskv {

enum class Status : std::uint8_t {
  kOk = 0,
  kNotFound = 1,        // get of an absent key
  kCompareFailed = 2,   // cas whose comparison did not hold (nothing changed)
  kNotLeader = 3,       // this node cannot serve the request; see leader_hint / leader_address
  kTimeout = 4,         // no outcome within the deadline: the write may or may not apply
  kBadRequest = 5,      // malformed or invalid request (never retried)
  kBusy = 6,            // queues full: retry later
  kUnavailable = 7,     // no leader / no quorum right now: retry later
  kSessionExpired = 8,  // the client's exactly-once session is gone: start a new client id
  kInternal = 9,
};
const char* status_name(Status status);

enum class Op : std::uint8_t {
  kPut = 0,
  kGet = 1,
  kDelete = 2,       // one key
  kDeleteRange = 3,  // [key, range_end)
  kCas = 4,          // if compare holds on key: put value
  kRange = 5,        // [key, range_end), at most `limit` (0 = no limit)
  kStatus = 6,       // node status (not replicated)
  kFault = 7,        // fault injection (not replicated); see FaultCommand
};

// What a compare-and-swap compares, by equality.
struct Compare {
  enum class Target : std::uint8_t { kValue = 0, kVersion = 1, kModRevision = 2, kCreateRevision = 3 };
  Target target = Target::kValue;
  std::string value;    // for kValue
  std::int64_t number = 0;  // for the others; version 0 / revision 0 means "key absent"
  template <class A>
  void serialize(A& a) {
    a(target, value, number);
  }
};

// Fault injection for tests (Op::kFault): served only by a server started with
// --enable-fault-injection, refused with kBadRequest otherwise. Acts on the node that receives it,
// never replicated, and forgotten when the process exits.
struct FaultCommand {
  enum class Kind : std::uint8_t {
    kBlockPeer = 0,    // drop peer messages to and/or from `peer` (the connection stays up)
    kUnblockPeer = 1,  // stop dropping them, in the given direction(s)
    kHealAll = 2,      // unblock every peer, no fsync delay, disarm a pending fsync failure
    kSlowFsync = 3,    // sleep fsync_delay_ms before each WAL fdatasync (0 = no delay)
    kFailFsync = 4,    // the next WAL fdatasync reports EIO: the node exits through fatal()
  };
  enum class Direction : std::uint8_t {
    kOutgoing = 0,  // dropped when this node sends to `peer`
    kIncoming = 1,  // dropped when this node receives from `peer`
    kBoth = 2,
  };
  Kind kind = Kind::kHealAll;
  std::uint64_t peer = 0;  // kBlockPeer / kUnblockPeer
  Direction direction = Direction::kBoth;
  std::uint32_t fsync_delay_ms = 0;  // kSlowFsync
  template <class A>
  void serialize(A& a) {
    a(kind, peer, direction, fsync_delay_ms);
  }
};

struct Request {
  std::uint64_t client_id = 0;  // random per client instance; 0 = no exactly-once session
  std::uint64_t seq = 0;        // per client, increasing; echoed in the Response
  // The lowest seq this client has not yet seen answered: the server may forget cached answers
  // below it.
  std::uint64_t first_unacked_seq = 0;
  Op op = Op::kGet;
  std::string key;
  // Range end for kDeleteRange / kRange (exclusive). Empty = just `key`; "\0" (one zero byte) =
  // every key >= key (the etcd convention). A prefix scan uses prefix_end(prefix).
  std::string range_end;
  std::string value;
  bool prev_kv = false;        // put/delete: also return the previous key-value
  std::uint64_t limit = 0;     // kRange: at most this many (0 = all)
  bool serializable = false;   // reads: serve from this node's state without a quorum round
  Compare compare;             // kCas
  std::uint32_t timeout_ms = 0;  // server-side deadline hint (0 = server default)
  // kStatus: also fill NodeStatus::state_hash. Off by default because it is a pass over the whole
  // store on the event loop, too costly for frequent status polls.
  bool with_state_hash = false;
  std::optional<FaultCommand> fault;  // kFault
  template <class A>
  void serialize(A& a) {
    a(client_id, seq, first_unacked_seq, op, key, range_end, value, prev_kv, limit, serializable,
      compare, timeout_ms, with_state_hash, fault);
  }
};

struct KeyValue {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;  // number of writes since creation (1 after the first put)
  template <class A>
  void serialize(A& a) {
    a(key, value, create_revision, mod_revision, version);
  }
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

// Per-node status, answered to Op::kStatus.
struct NodeStatus {
  std::uint64_t node_id = 0;
  std::string client_address;
  std::string peer_address;
  std::int64_t pid = 0;
  std::string role;  // "leader" | "follower"
  std::string phase;  // "recover" | "prepare" | "accept"
  std::uint64_t leader_id = 0;
  std::string ballot;  // "(n,priority,pid)"
  std::uint64_t decided_idx = 0;
  std::uint64_t applied_idx = 0;
  std::uint64_t log_end = 0;
  std::vector<std::uint64_t> connected_peers;
  std::int64_t revision = 0;
  // Write-ahead log: fdatasync calls and their latency (microseconds), bytes written.
  std::uint64_t fsync_count = 0;
  std::uint64_t fsync_p50_us = 0;
  std::uint64_t fsync_p99_us = 0;
  std::uint64_t fsync_max_us = 0;
  std::uint64_t wal_bytes = 0;
  // KvStore::state_hash() at applied_idx: equal on replicas that applied the same index. Only
  // computed when the request asked (Request::with_state_hash); 0 otherwise.
  std::uint64_t state_hash = 0;
  bool fault_injection = false;  // started with --enable-fault-injection
  std::string active_faults;     // the injected faults in force, "" if none
  // Snapshots: the log's first index (entries below it were trimmed), the newest snapshot held,
  // how many were taken here and installed from peers since the process started.
  std::uint64_t compacted_idx = 0;
  std::uint64_t snapshot_idx = 0;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t snapshots_installed = 0;
  bool fsync_enabled = true;  // storage.fsync
  template <class A>
  void serialize(A& a) {
    a(node_id, client_address, peer_address, pid, role, phase, leader_id, ballot, decided_idx,
      applied_idx, log_end, connected_peers, revision, fsync_count, fsync_p50_us, fsync_p99_us,
      fsync_max_us, wal_bytes, state_hash, fault_injection, active_faults, compacted_idx,
      snapshot_idx, snapshots_taken, snapshots_installed, fsync_enabled);
  }
};

struct Response {
  std::uint64_t seq = 0;
  Status status = Status::kOk;
  std::string error;                 // human-readable detail when status is not kOk
  std::uint64_t leader_hint = 0;     // node id of the leader, if known (kNotLeader)
  std::string leader_address;        // its client address, if known
  std::int64_t revision = 0;         // store revision when the request was served
  std::vector<KeyValue> kvs;         // get / range results
  std::optional<KeyValue> prev_kv;   // put / delete with prev_kv
  bool succeeded = false;            // cas: the comparison held and the value was written
  std::uint64_t deleted = 0;         // delete / delete-range: keys removed
  bool more = false;                 // range: stopped at `limit` with more keys left
  std::optional<NodeStatus> node;    // kStatus
  template <class A>
  void serialize(A& a) {
    a(seq, status, error, leader_hint, leader_address, revision, kvs, prev_kv, succeeded, deleted,
      more, node);
  }
};

// First frame on every peer connection, from the dialling side; the accepting side answers with
// its own Hello. A wrong cluster id or an unknown node id closes the connection.
struct PeerHello {
  std::string cluster_id;
  std::uint64_t node_id = 0;
  template <class A>
  void serialize(A& a) {
    a(cluster_id, node_id);
  }
};

// The smallest key greater than every key that starts with `prefix` ("\0" if none: all keys).
std::string prefix_end(const std::string& prefix);

}  // namespace paxoskv
