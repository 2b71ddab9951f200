// Round trips: decode(encode(x)) reproduces x for every wire type, alone, inside frames, and as a
// replicated command. Equality is checked field by field for the client types and by re-encoding
// for the consensus payloads (which have no operator==; the encoding is canonical, so equal bytes
// mean equal values).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <tuple>
#include <variant>

#include "codec_generators.h"
#include "common/codec.h"
#include "common/frame.h"

namespace paxoskv {
namespace {

auto fields(const Request& r) {
  return std::tie(r.client_id, r.seq, r.first_unacked_seq, r.op, r.key, r.range_end, r.value,
                  r.prev_kv, r.limit, r.serializable, r.compare.target, r.compare.value,
                  r.compare.number, r.timeout_ms);
}

auto fields(const NodeStatus& s) {
  return std::tie(s.node_id, s.client_address, s.peer_address, s.pid, s.role, s.phase, s.leader_id,
                  s.ballot, s.decided_idx, s.applied_idx, s.log_end, s.connected_peers, s.revision);
}

bool same(const Response& a, const Response& b) {
  const bool nodes_same =
      a.node.has_value() == b.node.has_value() && (!a.node || fields(*a.node) == fields(*b.node));
  return std::tie(a.seq, a.status, a.error, a.leader_hint, a.leader_address, a.revision, a.kvs,
                  a.prev_kv, a.succeeded, a.deleted, a.more) ==
             std::tie(b.seq, b.status, b.error, b.leader_hint, b.leader_address, b.revision, b.kvs,
                      b.prev_kv, b.succeeded, b.deleted, b.more) &&
         nodes_same;
}

template <class T>
T must_decode(std::string_view body) {
  T out;
  std::string error;
  RC_ASSERT(decode(body, out, &error));
  RC_ASSERT(error.empty());
  return out;
}

RC_GTEST_PROP(CodecRoundTrip, Request, (const Request& request)) {
  const std::string body = encode(request);
  RC_ASSERT(fields(must_decode<Request>(body)) == fields(request));
}

RC_GTEST_PROP(CodecRoundTrip, Response, (const Response& response)) {
  const std::string body = encode(response);
  RC_ASSERT(same(must_decode<Response>(body), response));
}

RC_GTEST_PROP(CodecRoundTrip, PeerHello, (const PeerHello& hello)) {
  const auto back = must_decode<PeerHello>(encode(hello));
  RC_ASSERT(back.cluster_id == hello.cluster_id);
  RC_ASSERT(back.node_id == hello.node_id);
}

RC_GTEST_PROP(CodecRoundTrip, Message, ()) {
  const paxos::Message message = *testing::message();
  const std::string body = encode(message);
  const auto back = must_decode<paxos::Message>(body);
  RC_TAG(paxos::payload_name(message.payload));
  RC_ASSERT(back.from == message.from);
  RC_ASSERT(back.to == message.to);
  RC_ASSERT(back.config_id == message.config_id);
  RC_ASSERT(back.payload.index() == message.payload.index());
  RC_ASSERT(encode(back) == body);
}

RC_GTEST_PROP(CodecRoundTrip, Command, (const Request& request)) {
  const paxos::Entry entry = encode_command(request);
  RC_ASSERT(static_cast<std::uint8_t>(entry.at(0)) == kCommandFormatVersion);
  Request back;
  std::string error;
  RC_ASSERT(decode_command(entry, back, &error));
  RC_ASSERT(fields(back) == fields(request));
}

// The frame helpers of codec.h produce what the decoder and body decoders accept, in order.
RC_GTEST_PROP(CodecRoundTrip, FramedStreamOfMixedKinds,
              (const PeerHello& hello, const std::vector<Request>& requests,
               const Response& response)) {
  std::string stream;
  append_frame(stream, hello);
  for (const auto& r : requests) append_frame(stream, r);
  append_frame(stream, response);
  const paxos::Message message = *testing::message();
  append_frame(stream, message);

  FrameDecoder decoder(64 * 1024 * 1024);
  decoder.feed(stream.data(), stream.size());
  auto first = decoder.next_view();
  RC_ASSERT(first && first->kind == FrameKind::kPeerHello);
  RC_ASSERT(must_decode<PeerHello>(first->body).node_id == hello.node_id);
  for (const auto& r : requests) {
    auto f = decoder.next_view();
    RC_ASSERT(f && f->kind == FrameKind::kClientRequest);
    RC_ASSERT(fields(must_decode<Request>(f->body)) == fields(r));
  }
  auto resp = decoder.next_view();
  RC_ASSERT(resp && resp->kind == FrameKind::kClientResponse);
  RC_ASSERT(same(must_decode<Response>(resp->body), response));
  auto peer = decoder.next_view();
  RC_ASSERT(peer && peer->kind == FrameKind::kPeerMessage);
  RC_ASSERT(encode(must_decode<paxos::Message>(peer->body)) == encode(message));
  RC_ASSERT(!decoder.next_view());
  RC_ASSERT(decoder.buffered_bytes() == 0u);
}

// Every alternative of the payload variant, default-constructed, survives a round trip. Written
// over the variant type itself so that a newly added payload is covered without editing this.
template <std::size_t... I>
void check_every_alternative(std::index_sequence<I...>) {
  (
      [] {
        paxos::Message m{paxos::NodeId(1), paxos::NodeId(2), paxos::ConfigId(3),
                         paxos::Payload(std::in_place_index<I>)};
        const std::string body = encode(m);
        paxos::Message back;
        std::string error;
        ASSERT_TRUE(decode(body, back, &error)) << paxos::payload_name(m.payload) << ": " << error;
        EXPECT_EQ(back.payload.index(), I);
        EXPECT_EQ(encode(back), body);
      }(),
      ...);
}

TEST(CodecRoundTrip, EveryPayloadAlternative) {
  check_every_alternative(std::make_index_sequence<std::variant_size_v<paxos::Payload>>{});
}

// Pins the layout that peers of different builds must agree on (little-endian, u64 lengths).
TEST(CodecLayout, PeerHelloBytes) {
  const std::string body = encode(PeerHello{"ab", 0x0102030405060708});
  const std::string expected("\x02\0\0\0\0\0\0\0ab\x08\x07\x06\x05\x04\x03\x02\x01", 18);
  EXPECT_EQ(body, expected);
}

TEST(CodecLayout, DecideMessageBytes) {
  paxos::Message m{paxos::NodeId(7), paxos::NodeId(9), paxos::ConfigId(1), paxos::Decide{}};
  const std::string body = encode(m);
  // from u64, to u64, config u32, variant index i32, then Decide: ballot(4+4+8+8) seq u64 idx u64.
  ASSERT_EQ(body.size(), 8u + 8 + 4 + 4 + 24 + 8 + 8);
  EXPECT_EQ(body[0], 7);
  EXPECT_EQ(body[8], 9);
  EXPECT_EQ(body[16], 1);
  EXPECT_EQ(body[20], 7);  // Decide is alternative 7
}

TEST(CodecRoundTrip, EncodeToAppends) {
  std::string out = "xyz";
  encode_to(out, PeerHello{"c", 5});
  EXPECT_EQ(out.substr(0, 3), "xyz");
  PeerHello back;
  ASSERT_TRUE(decode(std::string_view(out).substr(3), back, nullptr));
  EXPECT_EQ(back.node_id, 5u);
}

TEST(CodecRoundTrip, LargeEntriesBatch) {
  paxos::AcceptDecide ad;
  ad.seq = 42;
  for (int i = 0; i < 1000; ++i) ad.entries.push_back(std::string(i, static_cast<char>(i)));
  paxos::Message m{paxos::NodeId(1), paxos::NodeId(2), paxos::ConfigId(0), ad};
  paxos::Message back;
  ASSERT_TRUE(decode(encode(m), back, nullptr));
  const auto& got = std::get<paxos::AcceptDecide>(back.payload);
  EXPECT_EQ(got.seq, 42u);
  EXPECT_EQ(got.entries, ad.entries);
}

}  // namespace
}  // namespace paxoskv
