// One client TCP connection to one server endpoint (internal to paxoskv_client, but usable on
// its own): resolve + connect with a timeout, a read loop that reads straight into a FrameDecoder
// and decodes every complete frame of one read before reading again, and a write queue into which
// requests are encoded in place; everything queued during one event-loop turn (or while a write
// is in flight) leaves in a single write.
//
// Frames may be queued before the connection is established; they are written once it is.
// Incoming kClientResponse frames are decoded and handed to `on_response`; anything else (another
// frame kind, an oversized or corrupt frame, a body that does not decode) is a protocol error that
// closes the connection, because after it the byte stream can no longer be trusted.
//
// Lifetime: the owner calls close() (or the connection fails by itself); after that no handler is
// ever invoked again. Handlers should capture the owner weakly. Pending asio operations keep the
// object alive through shared_from_this, so the owner may drop its shared_ptr at any time,
// including from inside a handler.
#pragma once

// Some standard header must come before <asio.hpp>: asio 1.22 chooses aligned_alloc/free or
// operator new/delete from a libstdc++ macro, so a translation unit that includes asio first
// pairs one allocator with the other's deallocator across TUs (ASan: alloc-dealloc-mismatch).
// clang-format off
#include <cstddef>
#include <asio.hpp>
// clang-format on

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/frame.h"
#include "common/protocol.h"

namespace paxoskv::client {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Handlers {
    // Called once the TCP connection is up (optional).
    std::function<void()> on_connected;
    // Called for every decoded Response, in arrival order. The handler may move from it.
    std::function<void(Response&)> on_response;
    // Called once when the connection fails or the peer closes it (never after close()).
    std::function<void(const std::string& error)> on_closed;
  };

  Connection(asio::io_context& io, std::string endpoint, std::size_t max_frame_bytes,
             std::chrono::milliseconds connect_timeout, Handlers handlers);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Resolves and connects. Call once, after construction (it needs shared_from_this).
  void start();
  // Queues an already framed byte string (see append_frame) for writing.
  void write_frame_bytes(std::string_view bytes);
  // Encodes `request` as one kClientRequest frame straight into the write queue. The write is
  // started after the current handler returns, so requests sent together share one syscall.
  void send(const Request& request);
  // Closes the socket; no handler runs afterwards. Idempotent.
  void close();

  const std::string& endpoint() const { return endpoint_; }
  bool connected() const { return connected_; }
  bool closed() const { return closed_; }
  // Number of frames received so far: lets the owner tell a live but slow node from a dead one.
  std::uint64_t frames_received() const { return frames_received_; }

 private:
  void fail(const std::string& error);
  void on_resolved(const asio::error_code& ec, asio::ip::tcp::resolver::results_type results);
  void read_more();
  void on_read(const asio::error_code& ec, std::size_t n);
  void flush();
  // Flushes once the current handler has returned (coalescing everything queued until then).
  void schedule_flush();

  std::string endpoint_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer connect_timer_;
  std::chrono::milliseconds connect_timeout_;
  Handlers handlers_;
  FrameDecoder decoder_;  // the socket reads straight into its buffer (prepare/commit)
  std::string queued_;    // frames waiting for the next write
  std::string writing_;   // the buffer of the write in flight (must stay alive until it completes)
  bool write_in_flight_ = false;
  bool flush_posted_ = false;
  bool connected_ = false;
  bool closed_ = false;
  std::uint64_t frames_received_ = 0;
};

}  // namespace paxoskv::client
