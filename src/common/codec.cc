#include "common/codec.h"

#include <bit>
#include <cereal/cereal.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstring>
#include <exception>
#include <type_traits>

#include "paxos/assert.h"

// cereal's binary layout is the host's; pinning the host pins the wire format.
static_assert(std::endian::native == std::endian::little, "the wire format is little-endian");

namespace paxoskv::codec_detail {

// Appends to a std::string: cereal's BinaryOutputArchive needs an ostream, and a stringstream
// costs an allocation and a virtual call per write on the hot path.
class StringOutputArchive
    : public cereal::OutputArchive<StringOutputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit StringOutputArchive(std::string& out)
      : cereal::OutputArchive<StringOutputArchive, cereal::AllowEmptyClassElision>(this),
        out_(out) {}
  void save_binary(const void* data, std::size_t size) {
    out_.append(static_cast<const char*>(data), size);
  }

 private:
  std::string& out_;
};

// Reads from a string_view with a cursor. Unlike cereal's BinaryInputArchive it refuses any size
// tag larger than the bytes that remain: every element of a string or vector takes at least one
// byte, so a larger count is certainly garbage, and checking it first stops cereal from resizing
// a container to a length a hostile peer chose.
class BoundedInputArchive
    : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit BoundedInputArchive(std::string_view in)
      : cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>(this), in_(in) {}
  void load_binary(void* data, std::size_t size) {
    if (size > remaining()) {
      throw cereal::Exception("truncated: needs " + std::to_string(size) + " more bytes, " +
                              std::to_string(remaining()) + " left");
    }
    if (size > 0) std::memcpy(data, in_.data() + pos_, size);
    pos_ += size;
  }
  void load_size(cereal::size_type& size) {
    load_binary(&size, sizeof size);
    if (size > remaining()) {
      throw cereal::Exception("length " + std::to_string(size) + " exceeds the " +
                              std::to_string(remaining()) + " bytes left");
    }
  }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_SAVE_FUNCTION_NAME(StringOutputArchive& ar,
                                                                    const T& t) {
  ar.save_binary(std::addressof(t), sizeof(t));
}

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, T& t) {
  if constexpr (std::is_same_v<T, bool>) {
    // Any other byte in a bool is undefined behaviour once read, so it is rejected here.
    unsigned char byte = 0;
    ar.load_binary(&byte, 1);
    if (byte > 1) throw cereal::Exception("bool byte " + std::to_string(byte) + " is not 0 or 1");
    t = byte != 0;
  } else {
    ar.load_binary(std::addressof(t), sizeof(t));
  }
}

template <class Archive, class T>
CEREAL_ARCHIVE_RESTRICT(BoundedInputArchive, StringOutputArchive)
CEREAL_SERIALIZE_FUNCTION_NAME(Archive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(StringOutputArchive& ar, const cereal::SizeTag<T>& tag) {
  ar(tag.size);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::SizeTag<T>& tag) {
  static_assert(std::is_same_v<std::decay_t<T>, cereal::size_type>, "size tags are u64");
  ar.load_size(tag.size);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(StringOutputArchive& ar, const cereal::BinaryData<T>& bd) {
  ar.save_binary(bd.data, static_cast<std::size_t>(bd.size));
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::BinaryData<T>& bd) {
  ar.load_binary(bd.data, static_cast<std::size_t>(bd.size));
}

}  // namespace paxoskv::codec_detail

CEREAL_SETUP_ARCHIVE_TRAITS(paxoskv::codec_detail::BoundedInputArchive,
                            paxoskv::codec_detail::StringOutputArchive)

namespace paxoskv {
namespace {

using codec_detail::BoundedInputArchive;
using codec_detail::StringOutputArchive;

bool fail(std::string* error, std::string reason) {
  if (error != nullptr) *error = std::move(reason);
  return false;
}

template <class T>
void encode_into(std::string& out, const T& value) {
  StringOutputArchive archive(out);
  archive(value);
}

template <class T>
void append_frame_of(std::string& out, FrameKind kind, const T& value) {
  const std::size_t header = begin_frame(out, kind);
  encode_into(out, value);
  finish_frame(out, header);
}

// Parses `body` into `out` and requires every byte to be used. Range checks of enum fields are
// the caller's: cereal stores an enum as its underlying integer without looking at it.
template <class T>
bool decode_into(std::string_view body, T& out, std::string* error, const char* what) {
  try {
    BoundedInputArchive archive(body);
    archive(out);
    if (archive.remaining() != 0) {
      return fail(error, std::string(what) + ": " + std::to_string(archive.remaining()) +
                             " trailing bytes after a " + std::to_string(body.size()) +
                             "-byte body");
    }
  } catch (const std::exception& e) {
    // cereal::Exception for malformed input; bad_alloc / length_error cannot come from a bounded
    // size tag but would still be this message's fault, not the process's.
    return fail(error, std::string(what) + ": " + e.what());
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
  // The variant index is range-checked by cereal (it throws on an unknown alternative).
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
  paxos::Entry entry;
  entry.push_back(static_cast<char>(kCommandFormatVersion));
  encode_into(entry, request);
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
