#include "server/connection.h"

#include <spdlog/spdlog.h>

namespace paxoskv::server {

namespace {
std::uint64_t next_connection_id() {
  static std::uint64_t next = 1;  // the io_context is single-threaded
  return next++;
}
constexpr std::size_t kReadChunkBytes = 64 * 1024;
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
  if (!writing_active_) write_pending();
  return true;
}

void Connection::write_pending() {
  if (pending_.empty() || !open_) return;
  writing_.swap(pending_);
  pending_.clear();
  writing_active_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                      self->writing_active_ = false;
                      self->writing_.clear();
                      if (!self->open_) return;
                      if (ec) {
                        self->close("write failed: " + ec.message());
                        return;
                      }
                      self->write_pending();
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
