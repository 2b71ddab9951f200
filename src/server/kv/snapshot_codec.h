// The byte format of KvStore snapshots, and the hash that compares replicas.
//
// One encoder serves both snapshot() and state_hash(): in hashing mode it feeds the same bytes to
// a 64-bit FNV-1a hash instead of a buffer, so the hash covers exactly what a snapshot carries
// and computing it allocates nothing.
//
// Encoding: unsigned integers as LEB128 varints (always minimal when written), signed revisions
// as their non-negative value (negative ones never occur), byte strings as a varint length then
// the bytes, booleans as one byte 0/1. The decoder bounds-checks every read against the bytes
// left, so a length field in garbage input can never make it allocate more than the input size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/protocol.h"

namespace paxoskv::kv_codec {

inline constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
inline constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

// FNV-1a over `bytes`, continuing from `hash`.
std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes);

class Encoder {
 public:
  // Appends to *out.
  explicit Encoder(std::string* out) : out_(out) {}
  // Hashes instead of storing.
  Encoder() = default;

  void put_u8(std::uint8_t byte);
  void put_varint(std::uint64_t value);
  void put_revision(std::int64_t value);  // requires value >= 0
  void put_bool(bool value) { put_u8(value ? 1 : 0); }
  void put_bytes(std::string_view bytes);  // length-prefixed
  void put_raw(std::string_view bytes);    // no prefix
  std::uint64_t hash() const { return hash_; }

 private:
  std::string* out_ = nullptr;
  std::uint64_t hash_ = kFnvOffset;
};

// Reads from a buffer the caller keeps alive. The first failed read sets failed() and every later
// read fails too, so a parser may check once per record instead of after every field.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  bool get_u8(std::uint8_t& byte);
  bool get_varint(std::uint64_t& value);
  bool get_revision(std::int64_t& value);  // rejects values above INT64_MAX
  bool get_bool(bool& value);              // rejects anything but 0 and 1
  bool get_bytes(std::string& bytes);
  bool get_raw(std::size_t size, std::string_view& bytes);
  // A count of records each at least `record_bytes_min` long: rejects counts the remaining input
  // cannot hold, which bounds any reserve() the caller makes.
  bool get_count(std::size_t record_bytes_min, std::uint64_t& count);

  bool failed() const { return failed_; }
  std::size_t remaining() const { return in_.size(); }

 private:
  bool fail() {
    failed_ = true;
    return false;
  }
  std::string_view in_;
  bool failed_ = false;
};

// A KeyValue, and a Response as the state machine caches it for exactly-once replies. Only the
// fields apply() can set are encoded (not seq, which the session table keys by, nor
// leader_hint/leader_address/node, which apply() never sets).
void put_key_value(Encoder& e, const KeyValue& kv);
bool get_key_value(Decoder& d, KeyValue& kv);
void put_response(Encoder& e, const Response& response);
bool get_response(Decoder& d, Response& response);

}  // namespace paxoskv::kv_codec
