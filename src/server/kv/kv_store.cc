#include "server/kv/kv_store.h"

#include <utility>

#include "server/kv/kv_assert.h"

namespace paxoskv {
namespace {

// Snapshot layout (integers are LEB128 varints unless noted; see snapshot_codec.h):
//   "PKVS"  version:u8  body  checksum:u64 little-endian (FNV-1a of everything before it)
// body (version 1):
//   applied_end  revision  key_count  { key value create_revision mod_revision version }*
//   session_count { client_id first_unacked_seq last_used_index response_count
//                   { seq response }* }*
// The checksum rejects most corruption up front; the parser still checks every bound and
// invariant, because a checksum does not make crafted input safe.
constexpr std::string_view kMagic = "PKVS";
constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kChecksumBytes = 8;

// The etcd "from key" range_end: every key >= key.
bool is_to_end(const std::string& range_end) {
  return range_end.size() == 1 && range_end[0] == 0;
}

}  // namespace

KvStore::KvStore(KvStoreOptions options)
    : options_(options), sessions_(options.session_expiry_entries, options.session_responses_max) {}

KeyValue KvStore::to_key_value(const std::string& key, const Entry& entry) {
  return KeyValue{key, entry.value, entry.create_revision, entry.mod_revision, entry.version};
}

void KvStore::set_bad_request(const Request& request, const char* why, Response& out) const {
  out = Response{};
  out.seq = request.seq;
  out.status = Status::kBadRequest;
  out.error = why;
  out.revision = revision_;
}

const char* KvStore::resolve_range(const Request& request, Span& span) const {
  if (request.key.empty()) return "empty key";
  if (request.range_end.empty()) {
    span.first = map_.find(request.key);
    span.last = span.first == map_.end() ? span.first : std::next(span.first);
    return nullptr;
  }
  span.first = map_.lower_bound(request.key);
  if (is_to_end(request.range_end)) {
    span.last = map_.end();
    return nullptr;
  }
  if (request.range_end < request.key) return "range_end is below key";
  span.last = map_.lower_bound(request.range_end);
  return nullptr;
}

Response KvStore::apply(std::uint64_t log_index, const Request& command) {
  KV_ASSERT(log_index >= applied_end_, "log indices are applied once, in increasing order");
  KV_ASSERT(log_index != UINT64_MAX, "applied_index() must stay representable");
  applied_end_ = log_index + 1;
  sessions_.expire(log_index);
  // One Response, returned by name from every path, so that it is built in place.
  Response out;
  if (command.client_id == 0) {
    execute(command, out);
    return out;
  }
  const ClientSessions::Admission admission = sessions_.admit(log_index, command);
  switch (admission.verdict) {
    case ClientSessions::Verdict::kReplay:
      out = admission.replay->response();
      return out;
    case ClientSessions::Verdict::kReject:
      out.seq = command.seq;
      out.status = admission.status;
      out.error = admission.error;
      out.revision = revision_;
      return out;
    case ClientSessions::Verdict::kExecute:
      break;
  }
  execute(command, out);
  sessions_.record(admission, command.seq, out);
  return out;
}

void KvStore::execute(const Request& command, Response& out) {
  if (command.key.empty()) return set_bad_request(command, "empty key", out);
  out.seq = command.seq;
  switch (command.op) {
    case Op::kPut:
      do_put(command, out);
      break;
    case Op::kDelete:
      do_delete(command, out);
      break;
    case Op::kDeleteRange:
      if (!command.range_end.empty() && !is_to_end(command.range_end) &&
          command.range_end < command.key) {
        return set_bad_request(command, "range_end is below key", out);
      }
      do_delete_range(command, out);
      break;
    case Op::kCas:
      if (command.compare.target > Compare::Target::kCreateRevision) {
        return set_bad_request(command, "unknown compare target", out);
      }
      do_cas(command, out);
      break;
    case Op::kGet:
    case Op::kRange:
    case Op::kStatus:
      return set_bad_request(command, "not a write: reads and status are not replicated", out);
    default:
      return set_bad_request(command, "unknown op", out);
  }
  out.revision = revision_;
}

void KvStore::do_put(const Request& command, Response& out) {
  auto it = map_.lower_bound(command.key);
  ++revision_;
  if (it != map_.end() && it->first == command.key) {
    if (command.prev_kv) out.prev_kv = to_key_value(it->first, it->second);
    Entry& entry = it->second;
    entry.value = command.value;
    entry.mod_revision = revision_;
    ++entry.version;
  } else {
    map_.emplace_hint(it, command.key, Entry{command.value, revision_, revision_, 1});
  }
}

void KvStore::do_delete(const Request& command, Response& out) {
  auto it = map_.find(command.key);
  if (it == map_.end()) return;  // etcd: deleting nothing is a success that changes nothing
  if (command.prev_kv) {
    out.prev_kv = KeyValue{it->first, std::move(it->second.value), it->second.create_revision,
                           it->second.mod_revision, it->second.version};
  }
  map_.erase(it);
  out.deleted = 1;
  ++revision_;
}

void KvStore::do_delete_range(const Request& command, Response& out) {
  Span span;
  const char* why = resolve_range(command, span);
  KV_ASSERT(why == nullptr, "execute() validated the range");
  for (auto it = span.first; it != span.last; ++it) {
    ++out.deleted;
    if (command.prev_kv) out.kvs.push_back(to_key_value(it->first, it->second));
  }
  if (out.deleted == 0) return;
  map_.erase(span.first, span.last);
  ++revision_;  // one revision for the whole range, as in etcd
}

bool KvStore::compare_holds(const Request& command) const {
  auto it = map_.find(command.key);
  const bool found = it != map_.end();
  const Compare& c = command.compare;
  switch (c.target) {
    case Compare::Target::kValue:
      return found && it->second.value == c.value;
    case Compare::Target::kVersion:
      return (found ? it->second.version : 0) == c.number;
    case Compare::Target::kModRevision:
      return (found ? it->second.mod_revision : 0) == c.number;
    case Compare::Target::kCreateRevision:
      return (found ? it->second.create_revision : 0) == c.number;
  }
  KV_ASSERT(false, "execute() validated the compare target");
  return false;
}

void KvStore::do_cas(const Request& command, Response& out) {
  if (!compare_holds(command)) {
    out.status = Status::kCompareFailed;
    out.succeeded = false;
    return;
  }
  do_put(command, out);
  out.succeeded = true;
}

Response KvStore::read(const Request& request) const {
  Response out;
  out.seq = request.seq;
  out.revision = revision_;
  if (request.op == Op::kGet) {
    if (request.key.empty()) {
      set_bad_request(request, "empty key", out);
      return out;
    }
    auto it = map_.find(request.key);
    if (it == map_.end()) {
      out.status = Status::kNotFound;
    } else {
      out.kvs.push_back(to_key_value(it->first, it->second));
    }
    return out;
  }
  if (request.op != Op::kRange) {
    set_bad_request(request, "read() serves only get and range", out);
    return out;
  }
  Span span;
  if (const char* why = resolve_range(request, span)) {
    set_bad_request(request, why, out);
    return out;
  }
  for (auto it = span.first; it != span.last; ++it) {
    if (request.limit != 0 && out.kvs.size() == request.limit) {
      out.more = true;
      break;
    }
    out.kvs.push_back(to_key_value(it->first, it->second));
  }
  return out;
}

void KvStore::encode_body(kv_codec::Encoder& e) const {
  e.put_varint(applied_end_);
  e.put_revision(revision_);
  e.put_varint(map_.size());
  for (const auto& [key, entry] : map_) {
    e.put_bytes(key);
    e.put_bytes(entry.value);
    e.put_revision(entry.create_revision);
    e.put_revision(entry.mod_revision);
    e.put_revision(entry.version);
  }
  sessions_.encode(e);
}

std::uint64_t KvStore::state_hash() const {
  kv_codec::Encoder hasher;
  encode_body(hasher);
  return hasher.hash();
}

std::string KvStore::snapshot() const {
  std::string out;
  kv_codec::Encoder e(&out);
  e.put_raw(kMagic);
  e.put_u8(kFormatVersion);
  encode_body(e);
  const std::uint64_t checksum = kv_codec::fnv1a(kv_codec::kFnvOffset, out);
  for (std::size_t i = 0; i < kChecksumBytes; ++i) {
    e.put_u8(static_cast<std::uint8_t>(checksum >> (8 * i)));
  }
  return out;
}

bool KvStore::restore(std::string_view bytes) {
  const std::size_t header_bytes = kMagic.size() + 1;
  if (bytes.size() < header_bytes + kChecksumBytes) return false;
  if (bytes.substr(0, kMagic.size()) != kMagic) return false;
  if (static_cast<std::uint8_t>(bytes[kMagic.size()]) != kFormatVersion) return false;
  const std::string_view signed_part = bytes.substr(0, bytes.size() - kChecksumBytes);
  std::uint64_t checksum = 0;
  for (std::size_t i = 0; i < kChecksumBytes; ++i) {
    checksum |= std::uint64_t{static_cast<std::uint8_t>(bytes[signed_part.size() + i])} << (8 * i);
  }
  if (checksum != kv_codec::fnv1a(kv_codec::kFnvOffset, signed_part)) return false;

  // Decode into a fresh store and swap it in only when everything checked out.
  KvStore fresh(options_);
  kv_codec::Decoder d(signed_part.substr(header_bytes));
  d.get_varint(fresh.applied_end_);
  d.get_revision(fresh.revision_);
  std::uint64_t key_count = 0;
  // A key takes at least six bytes: a one-byte key, an empty value and three revisions.
  if (!d.get_count(6, key_count)) return false;
  for (std::uint64_t i = 0; i < key_count; ++i) {
    std::string key;
    Entry entry;
    d.get_bytes(key);
    d.get_bytes(entry.value);
    d.get_revision(entry.create_revision);
    d.get_revision(entry.mod_revision);
    if (!d.get_revision(entry.version)) return false;
    if (key.empty() || entry.version < 1 || entry.create_revision < 1) return false;
    if (entry.create_revision > entry.mod_revision || entry.mod_revision > fresh.revision_) {
      return false;
    }
    if (!fresh.map_.empty() && key <= fresh.map_.rbegin()->first) return false;
    fresh.map_.emplace_hint(fresh.map_.end(), std::move(key), std::move(entry));
  }
  if (!fresh.sessions_.decode(d, fresh.applied_end_)) return false;
  if (d.failed() || d.remaining() != 0) return false;
  map_ = std::move(fresh.map_);
  revision_ = fresh.revision_;
  applied_end_ = fresh.applied_end_;
  sessions_ = std::move(fresh.sessions_);
  return true;
}

}  // namespace paxoskv
