// Hostile bodies: truncation, trailing bytes, bad enums / bools / variant indices, huge length
// tags and random garbage must all return false with a reason, never crash, throw or allocate
// more than the body could justify.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "alloc_tracker.h"
#include "codec_generators.h"
#include "common/codec.h"

namespace paxoskv {
namespace {

template <class T>
bool decodes(std::string_view body) {
  T out;
  std::string error;
  const bool ok = decode(body, out, &error);
  EXPECT_EQ(ok, error.empty()) << "an error must be reported exactly on failure: " << error;
  return ok;
}

// The offset of the first byte where two encodings differ: locates a field in the layout without
// hard-coding it here.
std::size_t first_difference(const std::string& a, const std::string& b) {
  EXPECT_EQ(a.size(), b.size());
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  EXPECT_LT(i, a.size());
  return i;
}

// Proper prefixes of a valid body fail, and so does the body plus one byte. Long bodies are cut
// at about 300 points (every one near each end) to keep the sanitizer build fast.
template <class T>
void check_truncation_and_trailing(const T& value) {
  const std::string body = encode(value);
  RC_ASSERT(decodes<T>(body));
  const std::size_t stride = std::max<std::size_t>(1, body.size() / 256);
  for (std::size_t n = 0; n < body.size(); n += (n < 32 || n + 32 > body.size()) ? 1 : stride) {
    RC_ASSERT(!decodes<T>(std::string_view(body).substr(0, n)));
  }
  RC_ASSERT(!decodes<T>(body + '\0'));
}

RC_GTEST_PROP(CodecReject, TruncatedOrTrailingRequest, (const Request& r)) {
  check_truncation_and_trailing(r);
}
RC_GTEST_PROP(CodecReject, TruncatedOrTrailingResponse, (const Response& r)) {
  check_truncation_and_trailing(r);
}
RC_GTEST_PROP(CodecReject, TruncatedOrTrailingHello, (const PeerHello& h)) {
  check_truncation_and_trailing(h);
}
RC_GTEST_PROP(CodecReject, TruncatedOrTrailingMessage, ()) {
  check_truncation_and_trailing(*testing::message());
}

// Random bytes either fail or are a canonical encoding (re-encoding gives the same bytes): so the
// decoders accept exactly the image of the encoders, whatever the input.
template <class T>
void check_garbage(const std::string& bytes) {
  T out;
  std::string error;
  if (decode(bytes, out, &error)) {
    RC_ASSERT(encode(out) == bytes);
  } else {
    RC_ASSERT(!error.empty());
  }
}

RC_GTEST_PROP(CodecReject, GarbageBodies, (const std::string& bytes)) {
  check_garbage<Request>(bytes);
  check_garbage<Response>(bytes);
  check_garbage<PeerHello>(bytes);
  check_garbage<paxos::Message>(bytes);
  Request command;
  decode_command(bytes, command, nullptr);  // must not crash with a null error pointer either
}

// Mutating one byte of a valid body: same property, from inputs much closer to the valid set.
RC_GTEST_PROP(CodecReject, MutatedBodies, (const Response& response)) {
  std::string body = encode(response);
  const auto at = *rc::gen::inRange<std::size_t>(0, body.size());
  body[at] = *rc::gen::arbitrary<char>();
  check_garbage<Response>(body);
  check_garbage<Request>(body);
}

TEST(CodecReject, OutOfRangeOp) {
  Request put;
  put.op = Op::kPut;
  Request get = put;
  get.op = Op::kGet;
  std::string body = encode(put);
  const std::size_t at = first_difference(body, encode(get));
  body[at] = static_cast<char>(8);  // one past kFault
  Request out;
  std::string error;
  EXPECT_FALSE(decode(body, out, &error));
  EXPECT_NE(error.find("op"), std::string::npos) << error;
  body[at] = static_cast<char>(7);
  EXPECT_TRUE(decode(body, out, &error));
  // The same check guards replicated commands.
  body[at] = static_cast<char>(200);
  EXPECT_FALSE(decode_command(std::string(1, '\1') + body, out, &error));
}

TEST(CodecReject, OutOfRangeCompareTarget) {
  Request a;
  Request b;
  b.compare.target = Compare::Target::kVersion;
  std::string body = encode(a);
  body[first_difference(body, encode(b))] = static_cast<char>(4);
  Request out;
  std::string error;
  EXPECT_FALSE(decode(body, out, &error));
  EXPECT_NE(error.find("compare target"), std::string::npos) << error;
}

TEST(CodecReject, OutOfRangeStatus) {
  Response a;
  Response b;
  b.status = Status::kNotFound;
  std::string body = encode(a);
  body[first_difference(body, encode(b))] = static_cast<char>(10);
  Response out;
  std::string error;
  EXPECT_FALSE(decode(body, out, &error));
  EXPECT_NE(error.find("status"), std::string::npos) << error;
}

TEST(CodecReject, BoolMustBeZeroOrOne) {
  Request a;
  Request b;
  b.prev_kv = true;
  std::string body = encode(a);
  body[first_difference(body, encode(b))] = static_cast<char>(2);
  EXPECT_FALSE(decodes<Request>(body));
  // The optional's presence flag is a bool as well.
  Response r;
  std::string rb = encode(r);
  Response with_prev;
  with_prev.prev_kv = KeyValue{};
  const std::size_t at = first_difference(rb, encode(with_prev).substr(0, rb.size()));
  rb[at] = static_cast<char>(0x80);
  EXPECT_FALSE(decodes<Response>(rb));
}

TEST(CodecReject, VariantIndexOutOfRange) {
  paxos::Message m{paxos::NodeId(1), paxos::NodeId(2), paxos::ConfigId(3),
                   paxos::HeartbeatRequest{}};
  const std::string body = encode(m);
  constexpr std::size_t kIndexAt = 8 + 8 + 4;
  for (std::int32_t index : {std::int32_t{std::variant_size_v<paxos::Payload>}, std::int32_t{-1},
                             std::int32_t{1000}, INT32_MIN}) {
    std::string bad = body;
    std::memcpy(bad.data() + kIndexAt, &index, sizeof index);
    EXPECT_FALSE(decodes<paxos::Message>(bad)) << index;
  }
}

// Length tags far beyond the body are refused before cereal resizes anything.
TEST(CodecReject, HugeLengthTagsDoNotAllocate) {
  paxos::Message m{paxos::NodeId(1), paxos::NodeId(2), paxos::ConfigId(3), paxos::AcceptDecide{}};
  std::string body = encode(m);
  // The entries vector's u64 count is the last field of an empty AcceptDecide.
  const std::size_t count_at = body.size() - 8;
  for (std::uint64_t count : {std::uint64_t{1} << 62, std::uint64_t{1} << 32, std::uint64_t{9}}) {
    std::string bad = body;
    std::memcpy(bad.data() + count_at, &count, sizeof count);
    bad += std::string(8, '\0');  // a few bytes so that only the size check can reject it
    paxoskv::testing::LargestAllocation largest;
    EXPECT_FALSE(decodes<paxos::Message>(bad)) << count;
    EXPECT_LT(largest.bytes(), 4096u) << count;
  }
  // A string length tag: PeerHello starts with the cluster id's length.
  std::string hello = encode(PeerHello{"x", 1});
  const std::uint64_t huge = ~std::uint64_t{0};
  std::memcpy(hello.data(), &huge, sizeof huge);
  paxoskv::testing::LargestAllocation largest;
  EXPECT_FALSE(decodes<PeerHello>(hello));
  EXPECT_LT(largest.bytes(), 4096u);
}

TEST(CodecReject, CommandVersionAndEmptyEntry) {
  Request r;
  r.op = Op::kPut;
  r.key = "k";
  paxos::Entry entry = encode_command(r);
  Request out;
  std::string error;
  EXPECT_FALSE(decode_command("", out, &error));
  EXPECT_NE(error.find("empty"), std::string::npos);
  entry[0] = 3;  // one past kCommandFormatVersion
  EXPECT_FALSE(decode_command(entry, out, &error));
  EXPECT_NE(error.find("version"), std::string::npos);
  // A bare request body is not a command.
  EXPECT_FALSE(decode_command(encode(r), out, &error));
}

TEST(CodecReject, EmptyBodies) {
  EXPECT_FALSE(decodes<Request>(""));
  EXPECT_FALSE(decodes<Response>(""));
  EXPECT_FALSE(decodes<PeerHello>(""));
  EXPECT_FALSE(decodes<paxos::Message>(""));
}

TEST(CodecValid, EnumRanges) {
  EXPECT_TRUE(valid_status(Status::kInternal));
  EXPECT_FALSE(valid_status(static_cast<Status>(10)));
  EXPECT_TRUE(valid_op(Op::kFault));
  EXPECT_FALSE(valid_op(static_cast<Op>(8)));
  EXPECT_TRUE(valid_compare_target(Compare::Target::kCreateRevision));
  EXPECT_FALSE(valid_compare_target(static_cast<Compare::Target>(4)));
}

}  // namespace
}  // namespace paxoskv
