#include "server/connection.h"

#include <spdlog/spdlog.h>

namespace paxoskv::server {

namespace {
std::uint64_t next_connection_id() {
  static std::uint64_t next = 1;  // the io_context is single-threaded
  return next++;
}
constexpr std::size_t kReadChunkBytes = 64 * 1024;
// A send buffer that once held a large burst (a follower's resync) is given back after it drains,
// so that many idle connections do not each keep megabytes.
constexpr std::size_t kKeepBufferBytes = 256 * 1024;

void release_if_large(std::string& buffer) {
  if (buffer.capacity() > kKeepBufferBytes) std::string().swap(buffer);
}
}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, Limits limits, std::string name)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      limits_(limits),
      name_(std::move(name)),
      id_(next_connection_id()),
      decoder_(limits.max_frame_bytes) {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  // flush() sends directly and must never block the loop; asynchronous reads and writes work the
  // same on a non-blocking socket. Should this fail, the socket is broken and the first read fails.
  socket_.non_blocking(true, ignored);
}

Connection::~Connection() {
  asio::error_code ignored;
  socket_.close(ignored);
}

void Connection::start(FrameHandler on_frame, CloseHandler on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  open_ = true;
  read_some();
  if (limits_.idle_timeout.count() > 0) arm_idle_timer();
}

void Connection::read_some() {
  std::span<char> buffer = decoder_.prepare(kReadChunkBytes);
  socket_.async_read_some(
      asio::buffer(buffer.data(), buffer.size()),
      [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
        if (!self->open_) return;
        if (ec) {
          self->close(ec == asio::error::eof ? "closed by the other side" : ec.message());
          return;
        }
        self->activity_ = true;
        self->decoder_.commit(n);
        // Handle every complete frame; a handler may close us, so check after each one.
        while (self->open_) {
          std::optional<FrameView> frame = self->decoder_.next_view();
          if (!frame) break;
          self->on_frame_(*self, *frame);
        }
        if (!self->open_) return;
        if (self->decoder_.failed()) {
          self->close("bad frame: " + self->decoder_.error());
          return;
        }
        self->read_some();
      });
}

bool Connection::after_enqueue(std::size_t queued_before) {
  // The limit is on what piles up behind a reader that does not keep up; a single frame larger
  // than the limit on an empty queue is still sent (a follower's resync can be large).
  if (queued_before > 0 && queued_bytes() > limits_.queue_bytes_max) {
    close("outgoing queue over " + std::to_string(limits_.queue_bytes_max) +
          " bytes (the other side is not reading)");
    return false;
  }
  // An asynchronous write in flight flushes the queue when it completes.
  if (!writing_active_ && !flush_posted_) {
    flush_posted_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->flush_posted_ = false;
      self->flush();
    });
  }
  return true;
}

void Connection::flush() {
  if (!open_ || writing_active_ || pending_.empty()) return;
  asio::error_code ec;
  const std::size_t sent = socket_.write_some(asio::buffer(pending_), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    close("write failed: " + ec.message());
    return;
  }
  if (!ec && sent == pending_.size()) {
    pending_.clear();
    release_if_large(pending_);
    return;
  }
  write_remainder(ec ? 0 : sent);
}

void Connection::write_remainder(std::size_t sent_bytes) {
  // The kernel's send buffer is full: the rest goes out asynchronously, and frames queued
  // meanwhile wait in pending_ for its completion.
  writing_.swap(pending_);
  pending_.clear();
  writing_offset_ = sent_bytes;
  writing_active_ = true;
  asio::async_write(socket_,
                    asio::buffer(writing_.data() + sent_bytes, writing_.size() - sent_bytes),
                    [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                      self->writing_active_ = false;
                      self->writing_.clear();
                      self->writing_offset_ = 0;
                      release_if_large(self->writing_);
                      if (!self->open_) return;
                      if (ec) {
                        self->close("write failed: " + ec.message());
                        return;
                      }
                      self->flush();
                    });
}

void Connection::arm_idle_timer() {
  activity_ = false;
  idle_timer_.expires_after(limits_.idle_timeout);
  idle_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || !self->open_) return;
    if (!self->activity_) {
      self->close("idle for " + std::to_string(self->limits_.idle_timeout.count()) + " ms");
      return;
    }
    self->arm_idle_timer();
  });
}

void Connection::close(const std::string& reason) {
  if (!open_) return;
  open_ = false;
  asio::error_code ignored;
  idle_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  // Reset the handlers after the call: they may hold the last reference to their owner's state.
  CloseHandler on_close = std::move(on_close_);
  on_frame_ = nullptr;
  if (on_close) on_close(*this, reason);
}

}  // namespace paxoskv::server
