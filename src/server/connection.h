// A framed TCP connection actor: one reader and one writer on the node's single-threaded
// io_context. Incoming frames go to a callback; outgoing frames are queued up to a byte limit and
// written with one write call for everything queued (many messages, one syscall). A peer that
// stops reading fills its queue and is disconnected instead of growing our memory.
//
// Writes are coalesced per loop iteration: the first frame queued posts a flush, so every frame
// queued by the handlers that run before it (all the answers of one applied batch, say) leaves in
// one send. The flush writes straight from the queue with a non-blocking send, which in the common
// case takes everything; only a remainder the kernel did not take goes to an asynchronous write.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/frame.h"

namespace paxoskv::server {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using FrameHandler = std::function<void(Connection&, FrameView frame)>;
  using CloseHandler = std::function<void(Connection&, const std::string& reason)>;

  struct Limits {
    std::size_t max_frame_bytes = 16 << 20;
    std::size_t queue_bytes_max = 64 << 20;
    // Close the connection when nothing arrives for this long (0: never).
    std::chrono::milliseconds idle_timeout{0};
  };

  Connection(asio::ip::tcp::socket socket, Limits limits, std::string name);
  ~Connection();

  // Starts reading. Handlers run on the io_context; `on_frame` may call send() or close().
  void start(FrameHandler on_frame, CloseHandler on_close);
  // Queues one frame. Returns false (and closes the connection) if the queue limit is exceeded.
  bool send(FrameKind kind, std::string_view body) {
    return enqueue([&](std::string& out) { append_frame(out, kind, body); });
  }
  // Queues whatever `write_frames(std::string& out)` appends to the outgoing buffer (for example
  // codec.h's append_frame, which encodes in place: no intermediate copy of the body).
  template <typename WriteFrames>
  bool enqueue(WriteFrames&& write_frames) {
    if (!open_) return false;
    const std::size_t queued_before = queued_bytes();
    write_frames(pending_);
    return after_enqueue(queued_before);
  }
  void close(const std::string& reason);

  bool open() const { return open_; }
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  std::uint64_t id() const { return id_; }
  std::size_t queued_bytes() const { return pending_.size() + writing_.size() - writing_offset_; }

 private:
  bool after_enqueue(std::size_t queued_before);
  void read_some();
  void flush();
  void write_remainder(std::size_t sent_bytes);
  void arm_idle_timer();

  asio::ip::tcp::socket socket_;
  asio::steady_timer idle_timer_;
  Limits limits_;
  std::string name_;
  std::uint64_t id_;
  FrameDecoder decoder_;
  FrameHandler on_frame_;
  CloseHandler on_close_;
  std::string pending_;  // frames queued since the last flush
  std::string writing_;  // the buffer of the asynchronous write in flight (from writing_offset_)
  std::size_t writing_offset_ = 0;
  bool writing_active_ = false;
  bool flush_posted_ = false;
  bool open_ = false;
  bool activity_ = false;  // something arrived since the idle timer was armed
};

}  // namespace paxoskv::server
