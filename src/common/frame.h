// Wire framing shared by peer and client connections.
//
// Every frame is a 12-byte header followed by `length` body bytes:
//
//   offset 0  u32 magic   0x50584B56 ("PXKV"), big-endian
//   offset 4  u8  version kFrameVersion (1)
//   offset 5  u8  kind    FrameKind
//   offset 6  u16 reserved, must be 0
//   offset 8  u32 length  body bytes, big-endian
//
// The header is checked as soon as its 12 bytes have arrived, before any memory is set aside for
// the body, so a peer cannot make us allocate more than `max_body_bytes` (plus one read chunk) per
// connection. Any bad header byte is fatal for the stream: there is no way to resynchronise, so the
// decoder fails permanently and the owner closes the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace paxoskv {

enum class FrameKind : std::uint8_t {
  kPeerHello = 1,
  kPeerMessage = 2,
  kClientRequest = 3,
  kClientResponse = 4,
};

inline constexpr std::uint32_t kFrameMagic = 0x50584B56;  // "PXKV"
inline constexpr std::uint8_t kFrameVersion = 1;
inline constexpr std::size_t kFrameHeaderBytes = 12;
// The length field is a u32; a body can never be longer whatever the configured limit.
inline constexpr std::size_t kFrameBodyBytesLimit = 0xffffffffu;

// True for the four defined kinds (used by both the frame and the codec validators).
bool valid_frame_kind(std::uint8_t kind);
// "PeerHello", "PeerMessage", "ClientRequest", "ClientResponse", or "Unknown".
const char* frame_kind_name(FrameKind kind);

struct Frame {
  FrameKind kind;
  std::string body;
};

// A frame whose body still lives in the decoder's buffer (see FrameDecoder::next_view).
struct FrameView {
  FrameKind kind;
  std::string_view body;
};

// Appends header + body to `out`. Requires body.size() <= kFrameBodyBytesLimit (asserted).
void append_frame(std::string& out, FrameKind kind, std::string_view body);

// For encoders that write the body in place: begin_frame appends a header with a zero length and
// returns its offset in `out`; after appending the body, finish_frame patches the length.
std::size_t begin_frame(std::string& out, FrameKind kind);
void finish_frame(std::string& out, std::size_t header_offset);

// Incremental decoder for one byte stream. Bytes go in through feed() (copying) or through
// prepare()/commit() (the socket reads straight into the buffer); complete frames come out of
// next() or next_view(). Memory use is bounded by max_body_bytes + kFrameHeaderBytes + the largest
// prepare() request; consumed bytes are dropped by moving the unread tail to the front only when
// room is needed, so the total copying stays linear in the bytes received.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_body_bytes);

  // Appends n bytes. Ignored once failed().
  void feed(const char* data, std::size_t n);

  // A writable region of at least n bytes at the end of the buffered data, valid until the next
  // call of any non-const member. Write into it, then commit() the number of bytes written (which
  // may be less than n). Once failed() it still returns room, but commit() discards the bytes.
  std::span<char> prepare(std::size_t n);
  void commit(std::size_t n);

  // The next complete frame, or nullopt if more bytes are needed or the stream failed (check
  // failed() to tell the two apart).
  std::optional<Frame> next();
  // Like next(), but the body points into the decoder's buffer and stays valid only until the next
  // call of any non-const member. Saves one copy when the body is decoded at once.
  std::optional<FrameView> next_view();

  bool failed() const { return !error_.empty(); }
  // Why the stream failed (empty while it has not).
  const std::string& error() const { return error_; }
  // Bytes received and not yet returned as frames.
  std::size_t buffered_bytes() const { return end_ - begin_; }
  std::size_t max_body_bytes() const { return max_body_bytes_; }

 private:
  // Validates the header at begin_ (needs kFrameHeaderBytes buffered); sets error_ on failure.
  bool parse_header(FrameKind& kind, std::size_t& body_bytes);
  // Makes room for n more bytes after end_, compacting before growing.
  void reserve_tail(std::size_t n);
  void fail(std::string reason);

  std::size_t max_body_bytes_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last received byte
  std::string error_;
};

}  // namespace paxoskv
