#include "client/connection.h"

#include <utility>

#include "client/requests.h"
#include "common/codec.h"

namespace paxoskv::client {
namespace {

// Bytes asked of the socket per read: many responses per syscall at high load.
constexpr std::size_t kReadChunkBytes = 64 * 1024;

}  // namespace

Connection::Connection(asio::io_context& io, std::string endpoint, std::size_t max_frame_bytes,
                       std::chrono::milliseconds connect_timeout, Handlers handlers)
    : endpoint_(std::move(endpoint)),
      resolver_(io),
      socket_(io),
      connect_timer_(io),
      connect_timeout_(connect_timeout),
      handlers_(std::move(handlers)),
      decoder_(max_frame_bytes) {}

Connection::~Connection() = default;

void Connection::start() {
  Endpoint ep;
  std::string error;
  if (!parse_endpoint(endpoint_, ep, &error)) {
    // Report asynchronously so the owner never sees a callback from inside its own start() call.
    asio::post(socket_.get_executor(), [self = shared_from_this(), error] { self->fail(error); });
    return;
  }
  // The timer bounds resolve + connect together: a black-holed address would otherwise leave the
  // requests queued here waiting for the kernel's multi-minute SYN retry limit.
  connect_timer_.expires_after(connect_timeout_);
  connect_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->closed_ || self->connected_) return;
    self->fail("connect timed out");
  });
  resolver_.async_resolve(
      ep.host, ep.port,
      [self = shared_from_this()](const asio::error_code& ec,
                                  asio::ip::tcp::resolver::results_type results) {
        self->on_resolved(ec, std::move(results));
      });
}

void Connection::on_resolved(const asio::error_code& ec,
                             asio::ip::tcp::resolver::results_type results) {
  if (closed_) return;
  if (ec) {
    fail("resolve: " + ec.message());
    return;
  }
  asio::async_connect(
      socket_, results,
      [self = shared_from_this()](const asio::error_code& cec, const asio::ip::tcp::endpoint&) {
        if (self->closed_) return;
        if (cec) {
          self->fail("connect: " + cec.message());
          return;
        }
        self->connected_ = true;
        self->connect_timer_.cancel();
        // Requests are small and latency-bound; Nagle would hold pipelined frames.
        asio::error_code ignored;
        self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
        if (self->handlers_.on_connected) self->handlers_.on_connected();
        if (self->closed_) return;
        self->read_more();
        self->flush();
      });
}

void Connection::write_frame_bytes(std::string_view bytes) {
  if (closed_) return;
  queued_.append(bytes);
  flush();
}

void Connection::send(const Request& request) {
  if (closed_) return;
  append_frame(queued_, request);
  schedule_flush();
}

void Connection::schedule_flush() {
  // Not connected yet: the connect handler flushes. A write in flight: its handler flushes.
  if (!connected_ || closed_ || write_in_flight_ || flush_posted_) return;
  flush_posted_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void Connection::flush() {
  if (!connected_ || closed_ || write_in_flight_ || queued_.empty()) return;
  // Swap rather than copy: everything queued so far goes out in this one write, and new frames
  // accumulate in the (now empty) queue until it completes.
  writing_.clear();
  std::swap(writing_, queued_);
  write_in_flight_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                      self->write_in_flight_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->fail("write: " + ec.message());
                        return;
                      }
                      self->flush();
                    });
}

void Connection::read_more() {
  // Straight into the decoder's buffer: no copy between the socket and the frame parser.
  const std::span<char> room = decoder_.prepare(kReadChunkBytes);
  socket_.async_read_some(asio::buffer(room.data(), room.size()),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                            self->on_read(ec, n);
                          });
}

void Connection::on_read(const asio::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec) {
    fail(ec == asio::error::eof ? std::string("connection closed by server")
                                : "read: " + ec.message());
    return;
  }
  decoder_.commit(n);
  // on_response may close this connection (e.g. a kNotLeader redirect): stop as soon as it does,
  // the remaining frames belong to a stream the owner has abandoned.
  while (!closed_) {
    // The view points into the decoder's buffer; it is decoded before the decoder is touched again.
    std::optional<FrameView> frame = decoder_.next_view();
    if (!frame) break;
    ++frames_received_;
    if (frame->kind != FrameKind::kClientResponse) {
      fail("protocol error: unexpected frame kind " +
           std::to_string(static_cast<unsigned>(frame->kind)));
      return;
    }
    Response response;
    std::string error;
    if (!decode(frame->body, response, &error)) {
      fail("protocol error: bad response: " + error);
      return;
    }
    if (handlers_.on_response) handlers_.on_response(response);
  }
  if (closed_) return;
  if (decoder_.failed()) {
    fail("protocol error: " + decoder_.error());
    return;
  }
  read_more();
}

void Connection::fail(const std::string& error) {
  if (closed_) return;
  // Moved out so that it runs exactly once even if the owner re-enters us from inside it.
  auto on_closed = std::move(handlers_.on_closed);
  close();
  if (on_closed) on_closed(error);
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  connected_ = false;
  // The handlers are kept (not cleared) because close() may be called from inside one of them;
  // every call site checks closed_ instead. They capture weak references, so nothing leaks.
  asio::error_code ignored;
  connect_timer_.cancel();
  resolver_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace paxoskv::client
