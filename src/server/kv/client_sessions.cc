#include "server/kv/client_sessions.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "server/kv/kv_assert.h"

namespace paxoskv {

ClientSessions::CachedAnswer ClientSessions::CachedAnswer::of(const Response& response) {
  CachedAnswer a;
  a.seq = response.seq;
  a.revision = response.revision;
  a.deleted = response.deleted;
  a.status = response.status;
  a.succeeded = response.succeeded;
  a.more = response.more;
  if (!response.error.empty() || !response.kvs.empty() || response.prev_kv ||
      response.leader_hint != 0 || !response.leader_address.empty() || response.node) {
    a.full = std::make_unique<const Response>(response);
  }
  return a;
}

Response ClientSessions::CachedAnswer::response() const {
  if (full) return *full;
  Response r;
  r.seq = seq;
  r.status = status;
  r.revision = revision;
  r.succeeded = succeeded;
  r.deleted = deleted;
  r.more = more;
  return r;
}

const ClientSessions::CachedAnswer* ClientSessions::Session::find_response(
    std::uint64_t seq) const {
  // The common case, a new seq above every cached one, costs one comparison.
  if (responses.empty() || responses.back().seq < seq) return nullptr;
  auto it = std::lower_bound(responses.begin(), responses.end(), seq,
                             [](const CachedAnswer& a, std::uint64_t s) { return a.seq < s; });
  return it != responses.end() && it->seq == seq ? &*it : nullptr;
}

ClientSessions::ClientSessions(std::uint64_t expiry_entries, std::size_t responses_max)
    : expiry_entries_(expiry_entries), responses_max_(responses_max) {
  KV_ASSERT(expiry_entries_ >= 1, "a session must survive at least the index that used it");
  KV_ASSERT(responses_max_ >= 1, "a session must be able to cache one answer");
}

void ClientSessions::expire(std::uint64_t log_index) {
  // Expire when no command in the window [log_index - expiry_entries, log_index) used the session.
  while (!lru_.empty()) {
    auto it = sessions_.find(lru_.front());
    KV_ASSERT(it != sessions_.end(), "lru_ and sessions_ hold the same client ids");
    KV_ASSERT(it->second.last_used_index < log_index, "log indices are applied in order");
    if (log_index - it->second.last_used_index <= expiry_entries_) break;
    lru_.pop_front();
    sessions_.erase(it);
  }
}

void ClientSessions::touch(std::uint64_t client_id, Session& session, std::uint64_t log_index) {
  KV_ASSERT(*session.lru == client_id, "a session's lru iterator names its own client");
  session.last_used_index = log_index;
  lru_.splice(lru_.end(), lru_, session.lru);
}

ClientSessions::Admission ClientSessions::admit(std::uint64_t log_index, const Request& request) {
  KV_ASSERT(request.client_id != 0, "client id 0 means no session");
  Admission out;
  if (request.seq < request.first_unacked_seq) {
    out.status = Status::kBadRequest;
    out.error = "seq is below first_unacked_seq";
    return out;
  }
  auto it = sessions_.find(request.client_id);
  if (it == sessions_.end()) {
    if (request.first_unacked_seq > 1) {
      // The client has seen answers from a session we no longer hold: it was expired, and with
      // it the record of which writes were applied, so exactly-once cannot be promised.
      out.status = Status::kSessionExpired;
      out.error = "client session expired; start a new client id";
      return out;
    }
    it = sessions_.emplace_hint(it, request.client_id, Session{});
    it->second.lru = lru_.insert(lru_.end(), request.client_id);
  }
  Session& session = it->second;
  touch(request.client_id, session, log_index);
  if (request.seq < session.first_unacked_seq) {
    out.status = Status::kBadRequest;
    out.error = "stale retry: the client already acknowledged this seq";
    return out;
  }
  if (request.first_unacked_seq > session.first_unacked_seq) {
    session.first_unacked_seq = request.first_unacked_seq;
    while (!session.responses.empty() &&
           session.responses.front().seq < session.first_unacked_seq) {
      session.responses.pop_front();
    }
  }
  if (const CachedAnswer* cached = session.find_response(request.seq)) {
    out.verdict = Verdict::kReplay;
    out.replay = cached;
    return out;
  }
  if (session.responses.size() >= responses_max_) {
    out.status = Status::kBusy;
    out.error = "too many unacknowledged writes for this client";
    return out;
  }
  out.verdict = Verdict::kExecute;
  out.session = &session;
  return out;
}

void ClientSessions::record(const Admission& admission, std::uint64_t seq,
                            const Response& response) {
  KV_ASSERT(admission.verdict == Verdict::kExecute && admission.session != nullptr,
            "only executed commands are cached");
  KV_ASSERT(response.seq == seq, "a cached answer echoes its own seq");
  std::deque<CachedAnswer>& responses = admission.session->responses;
  if (responses.empty() || responses.back().seq < seq) {
    responses.push_back(CachedAnswer::of(response));
    return;
  }
  // A seq below one already answered (a client's writes reached the log out of order).
  auto it = std::lower_bound(responses.begin(), responses.end(), seq,
                             [](const CachedAnswer& a, std::uint64_t s) { return a.seq < s; });
  KV_ASSERT(it->seq != seq, "admit() returns kExecute only for a seq not yet cached");
  responses.insert(it, CachedAnswer::of(response));
}

const ClientSessions::Session* ClientSessions::find(std::uint64_t client_id) const {
  auto it = sessions_.find(client_id);
  return it == sessions_.end() ? nullptr : &it->second;
}

void ClientSessions::encode(kv_codec::Encoder& e) const {
  e.put_varint(sessions_.size());
  for (const auto& [client_id, session] : sessions_) {
    e.put_varint(client_id);
    e.put_varint(session.first_unacked_seq);
    e.put_varint(session.last_used_index);
    e.put_varint(session.responses.size());
    for (const CachedAnswer& answer : session.responses) {
      e.put_varint(answer.seq);
      kv_codec::put_response(e, answer.response());
    }
  }
}

bool ClientSessions::decode(kv_codec::Decoder& d, std::uint64_t applied_end) {
  ClientSessions fresh(expiry_entries_, responses_max_);
  std::uint64_t count = 0;
  // A session takes at least four one-byte varints.
  if (!d.get_count(4, count)) return false;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> by_last_used;  // (last_used, client_id)
  by_last_used.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t client_id = 0;
    Session session;
    std::uint64_t response_count = 0;
    d.get_varint(client_id);
    d.get_varint(session.first_unacked_seq);
    d.get_varint(session.last_used_index);
    // A cached response takes at least nine bytes with its seq; eight is a safe lower bound.
    if (!d.get_count(8, response_count)) return false;
    if (client_id == 0 || session.last_used_index >= applied_end) return false;
    if (!fresh.sessions_.empty() && client_id <= fresh.sessions_.rbegin()->first) return false;
    for (std::uint64_t r = 0; r < response_count; ++r) {
      std::uint64_t seq = 0;
      Response response;
      if (!d.get_varint(seq) || !kv_codec::get_response(d, response)) return false;
      if (seq < session.first_unacked_seq) return false;
      if (!session.responses.empty() && seq <= session.responses.back().seq) return false;
      response.seq = seq;
      session.responses.push_back(CachedAnswer::of(response));
    }
    by_last_used.emplace_back(session.last_used_index, client_id);
    fresh.sessions_.emplace_hint(fresh.sessions_.end(), client_id, std::move(session));
  }
  // Rebuild the recency order; ties cannot arise from apply() but are broken by id to stay
  // deterministic for any snapshot we accept.
  std::sort(by_last_used.begin(), by_last_used.end());
  for (const auto& [last_used, client_id] : by_last_used) {
    fresh.sessions_.find(client_id)->second.lru = fresh.lru_.insert(fresh.lru_.end(), client_id);
  }
  *this = std::move(fresh);
  return true;
}

}  // namespace paxoskv
