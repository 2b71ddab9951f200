#include "fake_server.h"

#include <utility>

#include "common/codec.h"

namespace paxoskv::client::testing {

FakeConn::FakeConn(asio::ip::tcp::socket socket, FakeServer* server, std::size_t id)
    : socket_(std::move(socket)), server_(server), id_(id) {}

void FakeConn::start() {
  read_more();
}

void FakeConn::read_more() {
  socket_.async_read_some(
      asio::buffer(buf_), [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
        if (self->closed_) return;
        if (ec) {
          self->close();
          return;
        }
        self->decoder_.feed(self->buf_.data(), n);
        while (!self->closed_) {
          auto frame = self->decoder_.next();
          if (!frame) break;
          Request request;
          std::string error;
          if (frame->kind != FrameKind::kClientRequest || !decode(frame->body, request, &error)) {
            if (self->server_ != nullptr) ++self->server_->protocol_errors_;
            self->close();
            return;
          }
          if (self->server_ != nullptr) self->server_->dispatch(self, std::move(request));
        }
        if (self->decoder_.failed()) {
          if (self->server_ != nullptr) ++self->server_->protocol_errors_;
          self->close();
        }
        if (!self->closed_) self->read_more();
      });
}

void FakeConn::reply(const Response& response) {
  std::string frame;
  append_frame(frame, FrameKind::kClientResponse, encode(response));
  write_raw(std::move(frame));
}

void FakeConn::write_raw(std::string bytes) {
  if (closed_) return;
  queued_ += bytes;
  flush();
}

void FakeConn::flush() {
  if (writing_now_ || queued_.empty() || closed_) return;
  writing_.clear();
  std::swap(writing_, queued_);
  writing_now_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                      self->writing_now_ = false;
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->flush();
                    });
}

void FakeConn::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

FakeServer::FakeServer(asio::io_context& io)
    : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      handler_(
          [](const std::shared_ptr<FakeConn>& conn, const Request& r) { conn->reply(ok_for(r)); }) {
  accept();
}

FakeServer::~FakeServer() {
  asio::error_code ignored;
  acceptor_.close(ignored);
  for (auto& c : conns_) {
    c->server_ = nullptr;
    c->close();
  }
}

std::string FakeServer::address() const {
  return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
}

void FakeServer::close_connections() {
  for (auto& c : conns_) c->close();
}

void FakeServer::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec) return;  // the acceptor was closed: the server is going away
    auto conn = std::make_shared<FakeConn>(std::move(socket), this, accepted_++);
    conns_.push_back(conn);
    conn->start();
    accept();
  });
}

void FakeServer::dispatch(const std::shared_ptr<FakeConn>& conn, Request request) {
  requests_.push_back(request);
  if (handler_) handler_(conn, request);
}

Response ok_for(const Request& request) {
  Response r;
  r.seq = request.seq;
  r.status = Status::kOk;
  return r;
}

std::string refused_endpoint() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = a.local_endpoint().port();
  a.close();
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace paxoskv::client::testing
