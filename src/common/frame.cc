#include "common/frame.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "paxos/assert.h"

namespace paxoskv {
namespace {

// First allocation: enough for a typical request or a few small peer messages.
constexpr std::size_t kInitialCapacityBytes = 16 * 1024;
// An idle connection that once carried a large frame gives the memory back (1024 clients holding
// 16 MiB each would be 16 GiB).
constexpr std::size_t kShrinkAboveBytes = 1024 * 1024;

void put_u32_be(char* out, std::uint32_t value) {
  out[0] = static_cast<char>(value >> 24);
  out[1] = static_cast<char>(value >> 16);
  out[2] = static_cast<char>(value >> 8);
  out[3] = static_cast<char>(value);
}

std::uint32_t get_u32_be(const char* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void put_header(char* out, FrameKind kind, std::uint32_t body_bytes) {
  put_u32_be(out, kFrameMagic);
  out[4] = static_cast<char>(kFrameVersion);
  out[5] = static_cast<char>(kind);
  out[6] = 0;
  out[7] = 0;
  put_u32_be(out + 8, body_bytes);
}

}  // namespace

bool valid_frame_kind(std::uint8_t kind) {
  return kind >= static_cast<std::uint8_t>(FrameKind::kPeerHello) &&
         kind <= static_cast<std::uint8_t>(FrameKind::kClientResponse);
}

const char* frame_kind_name(FrameKind kind) {
  switch (kind) {
    case FrameKind::kPeerHello:
      return "PeerHello";
    case FrameKind::kPeerMessage:
      return "PeerMessage";
    case FrameKind::kClientRequest:
      return "ClientRequest";
    case FrameKind::kClientResponse:
      return "ClientResponse";
  }
  return "Unknown";
}

void append_frame(std::string& out, FrameKind kind, std::string_view body) {
  PAXOS_ASSERT(body.size() <= kFrameBodyBytesLimit, "frame body does not fit the u32 length");
  PAXOS_ASSERT(valid_frame_kind(static_cast<std::uint8_t>(kind)), "append_frame: bad kind");
  const std::size_t at = out.size();
  out.resize(at + kFrameHeaderBytes);
  put_header(out.data() + at, kind, static_cast<std::uint32_t>(body.size()));
  out.append(body);
}

std::size_t begin_frame(std::string& out, FrameKind kind) {
  PAXOS_ASSERT(valid_frame_kind(static_cast<std::uint8_t>(kind)), "begin_frame: bad kind");
  const std::size_t at = out.size();
  out.resize(at + kFrameHeaderBytes);
  put_header(out.data() + at, kind, 0);
  return at;
}

void finish_frame(std::string& out, std::size_t header_offset) {
  PAXOS_ASSERT(header_offset + kFrameHeaderBytes <= out.size(), "finish_frame: bad offset");
  PAXOS_ASSERT(get_u32_be(out.data() + header_offset) == kFrameMagic, "finish_frame: no header");
  const std::size_t body_bytes = out.size() - header_offset - kFrameHeaderBytes;
  PAXOS_ASSERT(body_bytes <= kFrameBodyBytesLimit, "frame body does not fit the u32 length");
  put_u32_be(out.data() + header_offset + 8, static_cast<std::uint32_t>(body_bytes));
}

FrameDecoder::FrameDecoder(std::size_t max_body_bytes)
    : max_body_bytes_(std::min(max_body_bytes, kFrameBodyBytesLimit)) {}

void FrameDecoder::feed(const char* data, std::size_t n) {
  if (failed() || n == 0) return;
  std::span<char> room = prepare(n);
  std::memcpy(room.data(), data, n);
  commit(n);
}

std::span<char> FrameDecoder::prepare(std::size_t n) {
  reserve_tail(n);
  return {buffer_.get() + end_, capacity_ - end_};
}

void FrameDecoder::commit(std::size_t n) {
  if (failed()) return;  // the stream is dead: drop whatever was read
  PAXOS_ASSERT(n <= capacity_ - end_, "FrameDecoder::commit beyond prepare()");
  end_ += n;
}

void FrameDecoder::reserve_tail(std::size_t n) {
  const std::size_t unread = end_ - begin_;
  if (unread == 0) {
    begin_ = end_ = 0;
    // next_view() may have handed out a view into the buffer; it is only freed here, on the next
    // mutating call, which the view's contract allows.
    if (capacity_ > kShrinkAboveBytes && n <= kShrinkAboveBytes) {
      buffer_.reset();
      capacity_ = 0;
    }
  }
  if (capacity_ - end_ >= n) return;
  if (capacity_ - unread >= n) {
    // Enough room once the consumed prefix is dropped. Happens only when the tail is exhausted,
    // so each received byte is moved a bounded number of times on average.
    std::memmove(buffer_.get(), buffer_.get() + begin_, unread);
    begin_ = 0;
    end_ = unread;
    return;
  }
  // Grow geometrically, but not far past the largest frame we accept: that is all we ever need.
  const std::size_t largest_frame = kFrameHeaderBytes + max_body_bytes_ + n;
  const std::size_t doubled =
      std::min(std::max(capacity_ * 2, kInitialCapacityBytes), largest_frame);
  const std::size_t new_capacity = std::max(unread + n, doubled);
  auto grown = std::make_unique_for_overwrite<char[]>(new_capacity);
  if (unread > 0) std::memcpy(grown.get(), buffer_.get() + begin_, unread);
  buffer_ = std::move(grown);
  capacity_ = new_capacity;
  begin_ = 0;
  end_ = unread;
}

bool FrameDecoder::parse_header(FrameKind& kind, std::size_t& body_bytes) {
  const char* h = buffer_.get() + begin_;
  const std::uint32_t magic = get_u32_be(h);
  if (magic != kFrameMagic) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", magic);
    fail(std::string("bad frame magic ") + hex + " (expected 0x50584b56 \"PXKV\")");
    return false;
  }
  const auto version = static_cast<std::uint8_t>(h[4]);
  if (version != kFrameVersion) {
    fail("unsupported frame version " + std::to_string(version) + " (expected " +
         std::to_string(kFrameVersion) + ")");
    return false;
  }
  const auto raw_kind = static_cast<std::uint8_t>(h[5]);
  if (!valid_frame_kind(raw_kind)) {
    fail("unknown frame kind " + std::to_string(raw_kind));
    return false;
  }
  if (h[6] != 0 || h[7] != 0) {
    fail("frame header reserved bytes are not zero");
    return false;
  }
  const std::uint32_t length = get_u32_be(h + 8);
  if (length > max_body_bytes_) {
    fail("frame body of " + std::to_string(length) + " bytes exceeds the limit of " +
         std::to_string(max_body_bytes_) + " bytes");
    return false;
  }
  kind = static_cast<FrameKind>(raw_kind);
  body_bytes = length;
  return true;
}

std::optional<FrameView> FrameDecoder::next_view() {
  if (failed() || end_ - begin_ < kFrameHeaderBytes) return std::nullopt;
  FrameKind kind{};
  std::size_t body_bytes = 0;
  // Checked on every call, even while the body is incomplete, so that a bad header fails the
  // stream as soon as it arrives rather than after the peer has sent `length` more bytes.
  if (!parse_header(kind, body_bytes)) return std::nullopt;
  if (end_ - begin_ - kFrameHeaderBytes < body_bytes) return std::nullopt;
  const char* body = buffer_.get() + begin_ + kFrameHeaderBytes;
  begin_ += kFrameHeaderBytes + body_bytes;
  if (begin_ == end_) begin_ = end_ = 0;  // offsets only: the bytes stay for the view
  return FrameView{kind, std::string_view(body, body_bytes)};
}

std::optional<Frame> FrameDecoder::next() {
  std::optional<FrameView> view = next_view();
  if (!view) return std::nullopt;
  return Frame{view->kind, std::string(view->body)};
}

void FrameDecoder::fail(std::string reason) {
  PAXOS_ASSERT(!reason.empty(), "FrameDecoder::fail needs a reason");
  error_ = std::move(reason);
  // Nothing more will be decoded: give the memory back now.
  buffer_.reset();
  capacity_ = 0;
  begin_ = end_ = 0;
}

}  // namespace paxoskv
