#include "common/codec.h"

#include <bit>
#include <cstring>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "paxos/assert.h"

// The wire layout is little-endian; pinning the host pins the wire format.
static_assert(std::endian::native == std::endian::little, "the wire format is little-endian");

namespace paxoskv::codec_detail {

// The archives below walk the same `serialize(A&)` templates cereal would, and produce exactly the
// layout of cereal's BinaryOutputArchive (tests/codec/codec_cereal_compat_test.cc checks it byte
// for byte). They exist because cereal's archive objects cost several hundred instructions each to
// build and tear down (type registries for pointers and polymorphism we never use), and cereal
// appends field by field; here a size pass lets the body be written with plain stores into memory
// reserved once. Layout:
//   arithmetic  its bytes (bool: one byte, 0 or 1)
//   enum        its underlying integer
//   string      u64 length, then the bytes
//   vector      u64 element count, then the elements (arithmetic ones as one block)
//   optional    bool *nullopt* (1 = empty), then the value if present
//   variant     i32 index, then the alternative
//   class       its serialize() fields in order
using SizeTag = std::uint64_t;
using VariantIndex = std::int32_t;

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVariant : std::false_type {};
template <class... Ts>
struct IsVariant<std::variant<Ts...>> : std::true_type {};

// Counts the encoded size of a value. With `floor` set it counts every optional as empty and every
// variant as its index alone, which gives the least size any value of a type can encode to.
class Sizer {
 public:
  explicit Sizer(bool floor = false) : floor_(floor) {}
  template <class... Ts>
  void operator()(const Ts&... values) {
    (add(values), ...);
  }
  std::size_t bytes() const { return bytes_; }

  template <class T>
  void add(const T& value) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      bytes_ += sizeof(T);
    } else if constexpr (std::is_same_v<T, std::string>) {
      bytes_ += sizeof(SizeTag) + value.size();
    } else if constexpr (IsVector<T>::value) {
      static_assert(!std::is_same_v<T, std::vector<bool>>, "vector<bool> has no block layout");
      bytes_ += sizeof(SizeTag);
      if constexpr (std::is_arithmetic_v<typename T::value_type>) {
        bytes_ += value.size() * sizeof(typename T::value_type);
      } else {
        for (const auto& element : value) add(element);
      }
    } else if constexpr (IsOptional<T>::value) {
      bytes_ += 1;
      if (value && !floor_) add(*value);
    } else if constexpr (IsVariant<T>::value) {
      bytes_ += sizeof(VariantIndex);
      if (!floor_) std::visit([&](const auto& alternative) { add(alternative); }, value);
    } else {
      // serialize() is not const (cereal's convention); it only reads when given a Sizer.
      const_cast<T&>(value).serialize(*this);
    }
  }

 private:
  std::size_t bytes_ = 0;
  bool floor_;
};

// The least number of bytes one encoded T takes: bounds how many elements a count may claim.
template <class T>
std::size_t wire_bytes_min() {
  static const std::size_t bytes = [] {
    Sizer sizer(/*floor=*/true);
    sizer.add(T{});
    return sizer.bytes();
  }();
  return bytes;
}

// Writes into memory the Sizer measured: plain stores, no capacity checks.
class Writer {
 public:
  explicit Writer(char* out) : at_(out) {}
  template <class... Ts>
  void operator()(const Ts&... values) {
    (put(values), ...);
  }
  char* end() const { return at_; }

  template <class T>
  void put(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      *at_++ = value ? 1 : 0;
    } else if constexpr (std::is_arithmetic_v<T>) {
      std::memcpy(at_, &value, sizeof value);
      at_ += sizeof value;
    } else if constexpr (std::is_enum_v<T>) {
      put(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::is_same_v<T, std::string>) {
      put_bytes(value.data(), value.size());
    } else if constexpr (IsVector<T>::value) {
      put(static_cast<SizeTag>(value.size()));
      if constexpr (std::is_arithmetic_v<typename T::value_type>) {
        put_raw(value.data(), value.size() * sizeof(typename T::value_type));
      } else {
        for (const auto& element : value) put(element);
      }
    } else if constexpr (IsOptional<T>::value) {
      put(!value.has_value());
      if (value) put(*value);
    } else if constexpr (IsVariant<T>::value) {
      put(static_cast<VariantIndex>(value.index()));
      std::visit([&](const auto& alternative) { put(alternative); }, value);
    } else {
      const_cast<T&>(value).serialize(*this);
    }
  }

 private:
  void put_bytes(const char* data, std::size_t size) {
    put(static_cast<SizeTag>(size));
    put_raw(data, size);
  }
  void put_raw(const void* data, std::size_t size) {
    if (size > 0) std::memcpy(at_, data, size);
    at_ += size;
  }
  char* at_;
};

// Reads from a string_view with a cursor and never trusts it: every length is checked against
// the bytes that remain before anything is allocated (a count of n elements of a type whose
// encoding takes at least k bytes needs n * k bytes), bools must be 0 or 1 and variant indices
// must name an alternative. The first failure is sticky: later reads do nothing, so values keep
// whatever they held (valid, unspecified). Reasons are formatted only on failure, out of line.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <class... Ts>
  void operator()(Ts&... values) {
    (get(values), ...);
  }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  std::size_t remaining() const { return in_.size() - pos_; }

  template <class T>
  void get(T& value) {
    if (failed_) return;
    if constexpr (std::is_same_v<T, bool>) {
      unsigned char byte = 0;
      if (!take_fixed(byte)) return;
      // Any other byte in a bool is undefined behaviour once read, so it is rejected here.
      if (byte > 1) return bad_bool(byte);
      value = byte != 0;
    } else if constexpr (std::is_arithmetic_v<T>) {
      take_fixed(value);
    } else if constexpr (std::is_enum_v<T>) {
      // Range checks are the caller's: an enum travels as its underlying integer.
      std::underlying_type_t<T> raw{};
      if (take_fixed(raw)) value = static_cast<T>(raw);
    } else if constexpr (std::is_same_v<T, std::string>) {
      std::size_t size = 0;
      if (!get_count(1, size)) return;
      value.assign(in_.data() + pos_, size);
      pos_ += size;
    } else if constexpr (IsVector<T>::value) {
      get_vector(value);
    } else if constexpr (IsOptional<T>::value) {
      bool nullopt = true;
      get(nullopt);
      if (failed_) return;
      if (nullopt) {
        value.reset();
      } else {
        value.emplace();
        get(*value);
      }
    } else if constexpr (IsVariant<T>::value) {
      get_variant(value);
    } else {
      value.serialize(*this);
    }
  }

 private:
  template <class T>
  bool take_fixed(T& out) {
    if (sizeof(T) > remaining()) return truncated(sizeof(T));
    std::memcpy(&out, in_.data() + pos_, sizeof(T));  // a constant size: one load
    pos_ += sizeof(T);
    return true;
  }

  // Reads a u64 count of elements that take at least `element_bytes_min` each, and refuses counts
  // the remaining bytes cannot hold.
  bool get_count(std::size_t element_bytes_min, std::size_t& count) {
    SizeTag tag = 0;
    if (!take_fixed(tag)) return false;
    if (tag > remaining() / element_bytes_min) return too_long(tag);
    count = static_cast<std::size_t>(tag);
    return true;
  }

  template <class E>
  void get_vector(std::vector<E>& value) {
    static_assert(!std::is_same_v<E, bool>, "vector<bool> has no block layout");
    std::size_t count = 0;
    if constexpr (std::is_arithmetic_v<E>) {
      if (!get_count(sizeof(E), count)) return;
      value.resize(count);
      if (count > 0) std::memcpy(value.data(), in_.data() + pos_, count * sizeof(E));
      pos_ += count * sizeof(E);
    } else {
      if (!get_count(wire_bytes_min<E>(), count)) return;
      value.resize(count);
      for (E& element : value) {
        get(element);
        if (failed_) return;
      }
    }
  }

  template <class... Ts>
  void get_variant(std::variant<Ts...>& value) {
    VariantIndex index = 0;
    if (!take_fixed(index)) return;
    if (index < 0 || static_cast<std::size_t>(index) >= sizeof...(Ts)) {
      return bad_variant_index(index, sizeof...(Ts));
    }
    emplace_alternative(value, static_cast<std::size_t>(index), std::index_sequence_for<Ts...>{});
  }

  template <class Variant, std::size_t... Is>
  void emplace_alternative(Variant& value, std::size_t index, std::index_sequence<Is...>) {
    // Exactly one branch matches the (range-checked) index.
    static_cast<void>(((index == Is ? (get(value.template emplace<Is>()), true) : false) || ...));
  }

  [[gnu::cold, gnu::noinline]] bool truncated(std::size_t size) {
    fail("truncated: needs " + std::to_string(size) + " more bytes, " +
         std::to_string(remaining()) + " left");
    return false;
  }
  [[gnu::cold, gnu::noinline]] bool too_long(SizeTag tag) {
    fail("length " + std::to_string(tag) + " exceeds the " + std::to_string(remaining()) +
         " bytes left");
    return false;
  }
  [[gnu::cold, gnu::noinline]] void bad_bool(unsigned byte) {
    fail("bool byte " + std::to_string(byte) + " is not 0 or 1");
  }
  [[gnu::cold, gnu::noinline]] void bad_variant_index(VariantIndex index, std::size_t count) {
    fail("variant index " + std::to_string(index) + " is not one of the " + std::to_string(count) +
         " alternatives");
  }
  void fail(std::string reason) {
    failed_ = true;
    error_ = std::move(reason);
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  std::string error_;
};

}  // namespace paxoskv::codec_detail

namespace paxoskv {
namespace {

using codec_detail::Reader;
using codec_detail::Sizer;
using codec_detail::Writer;

bool fail(std::string* error, std::string reason) {
  if (error != nullptr) *error = std::move(reason);
  return false;
}

// Appends the encoding of `value` to `out`: one size pass, one resize, then plain stores.
template <class T>
void encode_into(std::string& out, const T& value) {
  Sizer sizer;
  sizer.add(value);
  const std::size_t at = out.size();
  out.resize(at + sizer.bytes());
  Writer writer(out.data() + at);
  writer.put(value);
  PAXOS_ASSERT(writer.end() == out.data() + out.size(), "codec: size pass and write pass disagree");
}

template <class T>
void append_frame_of(std::string& out, FrameKind kind, const T& value) {
  const std::size_t header = begin_frame(out, kind);
  encode_into(out, value);
  finish_frame(out, header);
}

// Parses `body` into `out` and requires every byte to be used. Range checks of enum fields are
// the caller's.
template <class T>
bool decode_into(std::string_view body, T& out, std::string* error, const char* what) {
  Reader reader(body);
  reader.get(out);
  if (reader.failed()) return fail(error, std::string(what) + ": " + reader.error());
  if (reader.remaining() != 0) {
    return fail(error, std::string(what) + ": " + std::to_string(reader.remaining()) +
                           " trailing bytes after a " + std::to_string(body.size()) + "-byte body");
  }
  return true;
}

}  // namespace

bool valid_status(Status status) {
  return status <= Status::kInternal;
}
bool valid_op(Op op) {
  return op <= Op::kFault;
}
bool valid_fault_command(const FaultCommand& fault) {
  return fault.kind <= FaultCommand::Kind::kFailFsync &&
         fault.direction <= FaultCommand::Direction::kBoth;
}
bool valid_compare_target(Compare::Target target) {
  return target <= Compare::Target::kCreateRevision;
}

std::string encode(const paxos::Message& message) {
  std::string out;
  encode_into(out, message);
  return out;
}
std::string encode(const Request& request) {
  std::string out;
  encode_into(out, request);
  return out;
}
std::string encode(const Response& response) {
  std::string out;
  encode_into(out, response);
  return out;
}
std::string encode(const PeerHello& hello) {
  std::string out;
  encode_into(out, hello);
  return out;
}

void encode_to(std::string& out, const paxos::Message& message) {
  encode_into(out, message);
}
void encode_to(std::string& out, const Request& request) {
  encode_into(out, request);
}
void encode_to(std::string& out, const Response& response) {
  encode_into(out, response);
}
void encode_to(std::string& out, const PeerHello& hello) {
  encode_into(out, hello);
}

void append_frame(std::string& out, const paxos::Message& message) {
  append_frame_of(out, FrameKind::kPeerMessage, message);
}
void append_frame(std::string& out, const Request& request) {
  append_frame_of(out, FrameKind::kClientRequest, request);
}
void append_frame(std::string& out, const Response& response) {
  append_frame_of(out, FrameKind::kClientResponse, response);
}
void append_frame(std::string& out, const PeerHello& hello) {
  append_frame_of(out, FrameKind::kPeerHello, hello);
}

bool decode(std::string_view body, paxos::Message& out, std::string* error) {
  // The variant index is range-checked by the reader.
  return decode_into(body, out, error, "peer message");
}

bool decode(std::string_view body, Request& out, std::string* error) {
  if (!decode_into(body, out, error, "request")) return false;
  if (!valid_op(out.op)) {
    return fail(error, "request: unknown op " + std::to_string(static_cast<int>(out.op)));
  }
  if (!valid_compare_target(out.compare.target)) {
    return fail(error, "request: unknown compare target " +
                           std::to_string(static_cast<int>(out.compare.target)));
  }
  if (out.fault && !valid_fault_command(*out.fault)) {
    return fail(error, "request: unknown fault kind " +
                           std::to_string(static_cast<int>(out.fault->kind)) + " or direction " +
                           std::to_string(static_cast<int>(out.fault->direction)));
  }
  return true;
}

bool decode(std::string_view body, Response& out, std::string* error) {
  if (!decode_into(body, out, error, "response")) return false;
  if (!valid_status(out.status)) {
    return fail(error, "response: unknown status " + std::to_string(static_cast<int>(out.status)));
  }
  return true;
}

bool decode(std::string_view body, PeerHello& out, std::string* error) {
  return decode_into(body, out, error, "peer hello");
}

paxos::Entry encode_command(const Request& request) {
  PAXOS_ASSERT(valid_op(request.op), "encode_command: op out of range");
  paxos::Entry entry(1, static_cast<char>(kCommandFormatVersion));
  encode_into(entry, request);
  return entry;
}

paxos::Entry command_from_request_body(std::string_view request_body) {
  paxos::Entry entry;
  entry.reserve(1 + request_body.size());
  entry.push_back(static_cast<char>(kCommandFormatVersion));
  entry.append(request_body);
  return entry;
}

namespace {

// A Request as command format version 1 wrote it: the fields before with_state_hash.
struct RequestV1 {
  Request& r;
  template <class A>
  void serialize(A& a) {
    a(r.client_id, r.seq, r.first_unacked_seq, r.op, r.key, r.range_end, r.value, r.prev_kv,
      r.limit, r.serializable, r.compare, r.timeout_ms);
  }
};

}  // namespace

bool decode_command(std::string_view entry, Request& out, std::string* error) {
  if (entry.empty()) return fail(error, "command: empty log entry");
  const auto version = static_cast<std::uint8_t>(entry.front());
  if (version == 1) {
    out = Request{};
    RequestV1 v1{out};
    if (!decode_into(entry.substr(1), v1, error, "command (format 1)")) return false;
    if (!valid_op(out.op) || !valid_compare_target(out.compare.target)) {
      return fail(error, "command (format 1): op or compare target out of range");
    }
    return true;
  }
  if (version != kCommandFormatVersion) {
    return fail(error, "command: unsupported format version " + std::to_string(version) +
                           " (expected " + std::to_string(kCommandFormatVersion) + ")");
  }
  return decode(entry.substr(1), out, error);
}

}  // namespace paxoskv
