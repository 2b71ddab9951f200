// Client sessions: the exactly-once half of the KV state machine.
//
// A client with a non-zero client_id numbers its writes with `seq` and tells the server, with
// `first_unacked_seq`, which answers it has already seen. The state machine caches the first
// Response of every (client_id, seq) it applies until the client acknowledges it, so a retry that
// reaches the log twice is answered from the cache instead of applied again (tigerbeetle
// src/vsr/client_sessions.zig; logcabin Tree sessions).
//
// Everything here is replicated state: every decision is a function of the applied log alone, so
// all replicas keep the same table. In particular expiry counts log indices, not time: a session
// that no applied command used during the last `expiry_entries` log indices is removed.
//
// Rules, for a command at log index L from client c with seq s and first_unacked_seq f:
//   - s < f                          -> kBadRequest (the request contradicts itself)
//   - c unknown and f > 1            -> kSessionExpired (c had a session; it expired)
//   - c unknown and f <= 1           -> open a session, then as below
//   - s < session.first_unacked_seq  -> kBadRequest (a stale retry of an acknowledged write)
//   - cached answers below f are dropped; session.first_unacked_seq = max(it, f)
//   - s cached                       -> the cached first Response, applied nothing
//   - responses_max answers cached   -> kBusy, applied nothing (the client must ack first)
//   - otherwise                      -> execute, cache the Response under s
// Every command that finds its session (even a rejected one) counts as a use of it.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>

#include "common/protocol.h"
#include "server/kv/snapshot_codec.h"

namespace paxoskv {

class ClientSessions {
 public:
  // The first answer to an executed command, kept until the client acknowledges it. Nearly every
  // answer is a status and a revision, so those fields are kept inline and a whole Response is
  // kept only for the rest (error text, key-values): caching a put costs no allocation of its own.
  struct CachedAnswer {
    std::uint64_t seq = 0;
    std::int64_t revision = 0;
    std::uint64_t deleted = 0;
    Status status = Status::kOk;
    bool succeeded = false;
    bool more = false;
    std::unique_ptr<const Response> full;  // set when the answer has more than the fields above

    static CachedAnswer of(const Response& response);
    Response response() const;  // the cached Response, equal to the one passed to of()
  };
  struct Session {
    std::uint64_t first_unacked_seq = 0;
    std::uint64_t last_used_index = 0;  // log index of the last command that used the session
    // The first answers not yet acknowledged, by increasing seq. A client's writes reach the log
    // mostly in seq order, so answers are appended at the back and acknowledged from the front.
    std::deque<CachedAnswer> responses;
    std::list<std::uint64_t>::iterator lru;  // this session's place in lru_

    const CachedAnswer* find_response(std::uint64_t seq) const;
  };

  enum class Verdict : std::uint8_t {
    kExecute,  // apply the command, then pass its Response to record()
    kReplay,   // answer with *replay; apply nothing
    kReject,   // answer with `status` / `error`; apply nothing
  };
  struct Admission {
    Verdict verdict = Verdict::kReject;
    Status status = Status::kOk;           // kReject
    const char* error = "";                // kReject
    const CachedAnswer* replay = nullptr;  // kReplay; valid until the next non-const call
    Session* session = nullptr;            // kExecute
  };

  // `expiry_entries` >= 1; `responses_max` >= 1.
  ClientSessions(std::uint64_t expiry_entries, std::size_t responses_max);
  ClientSessions(const ClientSessions&) = delete;  // lru iterators point into this object
  ClientSessions& operator=(const ClientSessions&) = delete;
  ClientSessions(ClientSessions&&) = default;  // std::list keeps its nodes (and iterators) on move
  ClientSessions& operator=(ClientSessions&&) = default;

  // Removes the sessions that expire before the command at `log_index` runs. Called for every
  // applied index, in increasing order, before admit(); costs O(1) plus the sessions removed.
  void expire(std::uint64_t log_index);

  // Decides what to do with `request` (client_id != 0) at `log_index`, per the rules above.
  Admission admit(std::uint64_t log_index, const Request& request);

  // Caches the answer to an admitted kExecute command.
  void record(const Admission& admission, std::uint64_t seq, const Response& response);

  std::size_t size() const { return sessions_.size(); }
  const Session* find(std::uint64_t client_id) const;

  // Snapshot: sessions in client_id order. decode() replaces this table only on success and
  // rejects sessions used at or after `applied_end` (the snapshot's next log index).
  void encode(kv_codec::Encoder& e) const;
  bool decode(kv_codec::Decoder& d, std::uint64_t applied_end);

 private:
  void touch(std::uint64_t client_id, Session& session, std::uint64_t log_index);

  std::uint64_t expiry_entries_;
  std::size_t responses_max_;
  // Ordered by client id so snapshots and hashes do not depend on insertion history.
  std::map<std::uint64_t, Session> sessions_;
  // Client ids, least recently used first. Each applied index uses at most one session and
  // indices grow, so moving a used session to the back keeps the list sorted by last_used_index
  // and expiry only ever looks at the front.
  std::list<std::uint64_t> lru_;
};

}  // namespace paxoskv
