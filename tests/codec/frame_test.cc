// Framing: header layout, stream reassembly at every split, and hostile headers.
#include "common/frame.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "alloc_tracker.h"

namespace paxoskv {
namespace {

std::string header(std::uint32_t magic, std::uint8_t version, std::uint8_t kind,
                   std::uint16_t reserved, std::uint32_t length) {
  std::string h(kFrameHeaderBytes, '\0');
  for (int i = 0; i < 4; ++i) h[i] = static_cast<char>(magic >> (24 - 8 * i));
  h[4] = static_cast<char>(version);
  h[5] = static_cast<char>(kind);
  h[6] = static_cast<char>(reserved >> 8);
  h[7] = static_cast<char>(reserved);
  for (int i = 0; i < 4; ++i) h[8 + i] = static_cast<char>(length >> (24 - 8 * i));
  return h;
}

std::vector<Frame> drain(FrameDecoder& decoder) {
  std::vector<Frame> frames;
  while (auto frame = decoder.next()) frames.push_back(std::move(*frame));
  return frames;
}

TEST(Frame, HeaderLayoutIsBigEndianPxkv) {
  std::string out;
  append_frame(out, FrameKind::kClientRequest, "abc");
  ASSERT_EQ(out.size(), kFrameHeaderBytes + 3);
  EXPECT_EQ(out.substr(0, 12), header(0x50584B56, 1, 3, 0, 3));
  EXPECT_EQ(out.substr(0, 4), "PXKV");
  EXPECT_EQ(out.substr(12), "abc");
}

TEST(Frame, BeginFinishPatchesTheLength) {
  std::string out = "prefix";
  const std::size_t at = begin_frame(out, FrameKind::kPeerMessage);
  out += std::string(300, 'x');
  finish_frame(out, at);
  std::string expected = "prefix";
  append_frame(expected, FrameKind::kPeerMessage, std::string(300, 'x'));
  EXPECT_EQ(out, expected);
}

TEST(Frame, EmptyBodyRoundTrips) {
  std::string out;
  append_frame(out, FrameKind::kPeerHello, "");
  FrameDecoder decoder(16);
  decoder.feed(out.data(), out.size());
  auto frame = decoder.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::kPeerHello);
  EXPECT_EQ(frame->body, "");
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

// Three frames of different kinds, cut into two pieces at every byte offset.
TEST(Frame, SplitAtEveryByteBoundary) {
  std::string stream;
  append_frame(stream, FrameKind::kPeerHello, "hello");
  append_frame(stream, FrameKind::kPeerMessage, std::string(40, '\xff'));
  append_frame(stream, FrameKind::kClientResponse, "");
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameDecoder decoder(1024);
    decoder.feed(stream.data(), cut);
    std::vector<Frame> frames = drain(decoder);
    decoder.feed(stream.data() + cut, stream.size() - cut);
    for (auto& f : drain(decoder)) frames.push_back(std::move(f));
    ASSERT_FALSE(decoder.failed()) << decoder.error();
    ASSERT_EQ(frames.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(frames[0].body, "hello");
    EXPECT_EQ(frames[1].body, std::string(40, '\xff'));
    EXPECT_EQ(frames[1].kind, FrameKind::kPeerMessage);
    EXPECT_EQ(frames[2].kind, FrameKind::kClientResponse);
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
}

TEST(Frame, OneByteAtATime) {
  std::string stream;
  for (int i = 0; i < 50; ++i) append_frame(stream, FrameKind::kClientRequest, std::to_string(i));
  FrameDecoder decoder(64);
  std::vector<Frame> frames;
  for (char c : stream) {
    decoder.feed(&c, 1);
    for (auto& f : drain(decoder)) frames.push_back(std::move(f));
  }
  ASSERT_EQ(frames.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(frames[i].body, std::to_string(i));
}

TEST(Frame, ManyFramesInOneFeed) {
  std::string stream;
  constexpr int kFrames = 10'000;
  for (int i = 0; i < kFrames; ++i) {
    append_frame(stream, FrameKind::kPeerMessage, std::string(i % 97, static_cast<char>(i)));
  }
  FrameDecoder decoder(128);
  decoder.feed(stream.data(), stream.size());
  std::vector<Frame> frames = drain(decoder);
  ASSERT_EQ(frames.size(), static_cast<std::size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_EQ(frames[i].body, std::string(i % 97, static_cast<char>(i)));
  }
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

// The server's path: read straight into prepare()'s span, commit what arrived.
TEST(Frame, PrepareCommitAndViews) {
  std::string stream;
  for (int i = 0; i < 200; ++i)
    append_frame(stream, FrameKind::kClientRequest, std::string(i, 'k'));
  FrameDecoder decoder(1024);
  std::size_t sent = 0;
  int seen = 0;
  while (sent < stream.size()) {
    std::span<char> room = decoder.prepare(333);
    ASSERT_GE(room.size(), 333u);
    const std::size_t n = std::min<std::size_t>(333, stream.size() - sent);
    std::memcpy(room.data(), stream.data() + sent, n);
    decoder.commit(n);
    sent += n;
    while (auto view = decoder.next_view()) {
      EXPECT_EQ(view->body, std::string(seen, 'k'));
      ++seen;
    }
  }
  EXPECT_EQ(seen, 200);
  EXPECT_FALSE(decoder.failed());
}

TEST(Frame, BodyAtTheLimitIsAcceptedOneMoreIsNot) {
  std::string ok;
  append_frame(ok, FrameKind::kPeerMessage, std::string(100, 'a'));
  FrameDecoder at_limit(100);
  at_limit.feed(ok.data(), ok.size());
  EXPECT_TRUE(at_limit.next());

  std::string big;
  append_frame(big, FrameKind::kPeerMessage, std::string(101, 'a'));
  FrameDecoder over(100);
  over.feed(big.data(), big.size());
  EXPECT_FALSE(over.next());
  EXPECT_TRUE(over.failed());
  EXPECT_NE(over.error().find("exceeds the limit"), std::string::npos) << over.error();
}

// A header that claims 4 GiB fails the stream from the header alone, and nothing near that size
// (nor near the configured limit) is ever allocated.
TEST(Frame, FourGibLengthRejectedBeforeAllocation) {
  const std::string h = header(kFrameMagic, kFrameVersion, 2, 0, 0xffffffffu);
  paxoskv::testing::LargestAllocation largest;
  FrameDecoder decoder(16 * 1024 * 1024);
  decoder.feed(h.data(), h.size());
  EXPECT_FALSE(decoder.next());
  EXPECT_TRUE(decoder.failed());
  EXPECT_LT(largest.bytes(), 64u * 1024) << "allocated before checking the length";
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  // Later bytes are ignored: the stream cannot be resynchronised.
  std::string more;
  append_frame(more, FrameKind::kPeerMessage, "x");
  decoder.feed(more.data(), more.size());
  EXPECT_FALSE(decoder.next());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(Frame, BadHeaderFieldsFailTheStream) {
  struct Case {
    std::string header;
    const char* expect;
  };
  const Case cases[] = {
      {header(0x50584B57, 1, 2, 0, 0), "magic"},
      {"GET / HTTP/1.1\r\n", "magic"},
      {header(kFrameMagic, 0, 2, 0, 0), "version"},
      {header(kFrameMagic, 2, 2, 0, 0), "version"},
      {header(kFrameMagic, 1, 0, 0, 0), "kind"},
      {header(kFrameMagic, 1, 5, 0, 0), "kind"},
      {header(kFrameMagic, 1, 255, 0, 0), "kind"},
      {header(kFrameMagic, 1, 2, 1, 0), "reserved"},
      {header(kFrameMagic, 1, 2, 0x100, 0), "reserved"},
  };
  for (const Case& c : cases) {
    FrameDecoder decoder(1024);
    decoder.feed(c.header.data(), c.header.size());
    EXPECT_FALSE(decoder.next());
    ASSERT_TRUE(decoder.failed()) << c.expect;
    EXPECT_NE(decoder.error().find(c.expect), std::string::npos) << decoder.error();
  }
}

// A bad header after good frames: the good ones come out, then the stream fails.
TEST(Frame, GoodFramesBeforeABadHeaderAreDelivered) {
  std::string stream;
  append_frame(stream, FrameKind::kClientRequest, "one");
  append_frame(stream, FrameKind::kClientRequest, "two");
  stream += header(kFrameMagic, 1, 9, 0, 0);
  FrameDecoder decoder(1024);
  decoder.feed(stream.data(), stream.size());
  EXPECT_EQ(drain(decoder).size(), 2u);
  EXPECT_TRUE(decoder.failed());
}

TEST(Frame, TruncatedBodyWaitsForMoreBytes) {
  std::string stream;
  append_frame(stream, FrameKind::kClientRequest, "0123456789");
  FrameDecoder decoder(1024);
  decoder.feed(stream.data(), stream.size() - 1);
  EXPECT_FALSE(decoder.next());
  EXPECT_FALSE(decoder.failed());
  EXPECT_EQ(decoder.buffered_bytes(), stream.size() - 1);
  decoder.feed(stream.data() + stream.size() - 1, 1);
  EXPECT_TRUE(decoder.next());
}

TEST(Frame, KindNames) {
  EXPECT_STREQ(frame_kind_name(FrameKind::kPeerHello), "PeerHello");
  EXPECT_STREQ(frame_kind_name(FrameKind::kClientResponse), "ClientResponse");
  EXPECT_FALSE(valid_frame_kind(0));
  EXPECT_TRUE(valid_frame_kind(4));
}

// Any frame sequence, cut into arbitrary chunks, decodes to the same frames.
RC_GTEST_PROP(FrameProperty, ArbitraryChunkingPreservesFrames,
              (const std::vector<std::string>& bodies, const std::vector<std::uint8_t>& cuts)) {
  std::string stream;
  for (const auto& b : bodies) append_frame(stream, FrameKind::kPeerMessage, b);
  FrameDecoder decoder(1 << 20);
  std::vector<Frame> frames;
  std::size_t at = 0;
  std::size_t i = 0;
  while (at < stream.size()) {
    std::size_t n = cuts.empty() ? stream.size() : std::size_t{cuts[i++ % cuts.size()]} + 1;
    n = std::min(n, stream.size() - at);
    decoder.feed(stream.data() + at, n);
    at += n;
    for (auto& f : drain(decoder)) frames.push_back(std::move(f));
  }
  RC_ASSERT(!decoder.failed());
  RC_ASSERT(frames.size() == bodies.size());
  for (std::size_t k = 0; k < bodies.size(); ++k) RC_ASSERT(frames[k].body == bodies[k]);
}

// Arbitrary bytes never crash the decoder and never make it hold more than limit + input.
RC_GTEST_PROP(FrameProperty, GarbageNeverCrashes, (const std::vector<std::string>& chunks)) {
  FrameDecoder decoder(256);
  for (const auto& c : chunks) {
    decoder.feed(c.data(), c.size());
    while (decoder.next()) {
    }
    RC_ASSERT(decoder.buffered_bytes() <= kFrameHeaderBytes + 256 + c.size());
  }
}

}  // namespace
}  // namespace paxoskv
