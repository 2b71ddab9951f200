// The codec writes cereal's binary layout with its own archives (codec.cc). These properties pin
// that layout to cereal's BinaryOutputArchive byte for byte, so that bodies written by earlier
// versions of the codec (which used cereal) still decode, and command entries in old logs replay.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>
#include <string>

#include "codec_generators.h"
#include "common/codec.h"

namespace paxoskv {
namespace {

template <class T>
std::string cereal_bytes(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::BinaryOutputArchive archive(out);
    archive(value);
  }
  return out.str();
}

template <class T>
void check_same_bytes(const T& value) {
  const std::string ours = encode(value);
  RC_ASSERT(ours == cereal_bytes(value));
  T back;
  std::string error;
  RC_ASSERT(decode(ours, back, &error));
  RC_ASSERT(encode(back) == ours);
}

// Request's generator leaves the two fields added by command format 2 at their defaults.
Request with_format2_fields(Request r) {
  r.with_state_hash = *rc::gen::arbitrary<bool>();
  if (*rc::gen::arbitrary<bool>()) {
    FaultCommand f;
    f.kind = static_cast<FaultCommand::Kind>(*rc::gen::inRange(0, 5));
    f.peer = *rc::gen::arbitrary<std::uint64_t>();
    f.direction = static_cast<FaultCommand::Direction>(*rc::gen::inRange(0, 3));
    f.fsync_delay_ms = *rc::gen::arbitrary<std::uint32_t>();
    r.fault = f;
  }
  return r;
}

RC_GTEST_PROP(CodecCerealCompat, Request, (const Request& request)) {
  check_same_bytes(with_format2_fields(request));
}

RC_GTEST_PROP(CodecCerealCompat, Response, (const Response& response)) {
  check_same_bytes(response);
}

RC_GTEST_PROP(CodecCerealCompat, PeerHello, (const PeerHello& hello)) {
  check_same_bytes(hello);
}

RC_GTEST_PROP(CodecCerealCompat, Message, ()) {
  const paxos::Message message = *testing::message();
  RC_TAG(paxos::payload_name(message.payload));
  check_same_bytes(message);
}

RC_GTEST_PROP(CodecCerealCompat, CommandEntry, (const Request& request)) {
  const Request r = with_format2_fields(request);
  const paxos::Entry entry = encode_command(r);
  RC_ASSERT(entry == std::string(1, static_cast<char>(kCommandFormatVersion)) + cereal_bytes(r));
  // A client frame body that decodes becomes the same entry without being encoded again.
  RC_ASSERT(command_from_request_body(encode(r)) == entry);
}

}  // namespace
}  // namespace paxoskv
