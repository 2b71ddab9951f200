#include "server/kv/snapshot_codec.h"

#include <limits>

#include "server/kv/kv_assert.h"

namespace paxoskv::kv_codec {

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

void Encoder::put_u8(std::uint8_t byte) {
  const char c = static_cast<char>(byte);
  put_raw(std::string_view(&c, 1));
}

void Encoder::put_varint(std::uint64_t value) {
  char buf[10];
  std::size_t n = 0;
  while (value >= 0x80) {
    buf[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  buf[n++] = static_cast<char>(value);
  put_raw(std::string_view(buf, n));
}

void Encoder::put_revision(std::int64_t value) {
  KV_ASSERT(value >= 0, "revisions, versions and indices are never negative");
  put_varint(static_cast<std::uint64_t>(value));
}

void Encoder::put_bytes(std::string_view bytes) {
  put_varint(bytes.size());
  put_raw(bytes);
}

void Encoder::put_raw(std::string_view bytes) {
  if (out_ != nullptr) {
    out_->append(bytes);
  } else {
    hash_ = fnv1a(hash_, bytes);
  }
}

bool Decoder::get_u8(std::uint8_t& byte) {
  if (failed_ || in_.empty()) return fail();
  byte = static_cast<std::uint8_t>(in_.front());
  in_.remove_prefix(1);
  return true;
}

bool Decoder::get_varint(std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    std::uint8_t byte = 0;
    if (!get_u8(byte)) return false;
    // The tenth byte may carry only the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) return fail();
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return fail();
}

bool Decoder::get_revision(std::int64_t& value) {
  std::uint64_t raw = 0;
  if (!get_varint(raw)) return false;
  if (raw > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return fail();
  value = static_cast<std::int64_t>(raw);
  return true;
}

bool Decoder::get_bool(bool& value) {
  std::uint8_t byte = 0;
  if (!get_u8(byte)) return false;
  if (byte > 1) return fail();
  value = byte == 1;
  return true;
}

bool Decoder::get_bytes(std::string& bytes) {
  std::uint64_t size = 0;
  if (!get_varint(size)) return false;
  std::string_view raw;
  if (size > in_.size() || !get_raw(static_cast<std::size_t>(size), raw)) return fail();
  bytes.assign(raw);
  return true;
}

bool Decoder::get_raw(std::size_t size, std::string_view& bytes) {
  if (failed_ || size > in_.size()) return fail();
  bytes = in_.substr(0, size);
  in_.remove_prefix(size);
  return true;
}

bool Decoder::get_count(std::size_t record_bytes_min, std::uint64_t& count) {
  KV_ASSERT(record_bytes_min > 0, "every record takes at least one byte");
  if (!get_varint(count)) return false;
  if (count > in_.size() / record_bytes_min) return fail();
  return true;
}

void put_key_value(Encoder& e, const KeyValue& kv) {
  e.put_bytes(kv.key);
  e.put_bytes(kv.value);
  e.put_revision(kv.create_revision);
  e.put_revision(kv.mod_revision);
  e.put_revision(kv.version);
}

bool get_key_value(Decoder& d, KeyValue& kv) {
  d.get_bytes(kv.key);
  d.get_bytes(kv.value);
  d.get_revision(kv.create_revision);
  d.get_revision(kv.mod_revision);
  d.get_revision(kv.version);
  return !d.failed();
}

void put_response(Encoder& e, const Response& response) {
  KV_ASSERT(response.leader_hint == 0 && response.leader_address.empty() && !response.node,
            "apply() never sets leader or node fields, so the snapshot does not carry them");
  e.put_u8(static_cast<std::uint8_t>(response.status));
  e.put_bytes(response.error);
  e.put_revision(response.revision);
  e.put_varint(response.kvs.size());
  for (const KeyValue& kv : response.kvs) put_key_value(e, kv);
  e.put_bool(response.prev_kv.has_value());
  if (response.prev_kv) put_key_value(e, *response.prev_kv);
  e.put_bool(response.succeeded);
  e.put_varint(response.deleted);
  e.put_bool(response.more);
}

bool get_response(Decoder& d, Response& response) {
  std::uint8_t status = 0;
  if (!d.get_u8(status) || status > static_cast<std::uint8_t>(Status::kInternal)) return false;
  response.status = static_cast<Status>(status);
  d.get_bytes(response.error);
  d.get_revision(response.revision);
  std::uint64_t kv_count = 0;
  // A KeyValue takes at least five bytes: two empty strings and three one-byte varints.
  if (!d.get_count(5, kv_count)) return false;
  response.kvs.resize(static_cast<std::size_t>(kv_count));
  for (KeyValue& kv : response.kvs) {
    if (!get_key_value(d, kv)) return false;
  }
  bool has_prev = false;
  if (!d.get_bool(has_prev)) return false;
  if (has_prev && !get_key_value(d, response.prev_kv.emplace())) return false;
  d.get_bool(response.succeeded);
  d.get_varint(response.deleted);
  d.get_bool(response.more);
  return !d.failed();
}

}  // namespace paxoskv::kv_codec
