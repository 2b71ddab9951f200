// An in-process fake paxoskv client port for the client tests: accepts TCP connections on
// 127.0.0.1 (an ephemeral port), decodes kClientRequest frames and hands each Request to a test
// supplied handler, which may answer (in any order, at any time), stay silent, close the
// connection or write garbage. Runs on the test's io_context; nothing here sleeps.
#pragma once

// Some standard header must come before <asio.hpp>: asio 1.22 chooses aligned_alloc/free or
// operator new/delete from a libstdc++ macro, so a translation unit that includes asio first
// pairs one allocator with the other's deallocator across TUs (ASan: alloc-dealloc-mismatch).
// clang-format off
#include <cstddef>
#include <asio.hpp>
// clang-format on

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/frame.h"
#include "common/protocol.h"

namespace paxoskv::client::testing {

class FakeServer;

class FakeConn : public std::enable_shared_from_this<FakeConn> {
 public:
  FakeConn(asio::ip::tcp::socket socket, FakeServer* server, std::size_t id);
  void start();
  // Sends one kClientResponse frame.
  void reply(const Response& response);
  // Sends bytes as they are (for protocol-error tests).
  void write_raw(std::string bytes);
  void close();
  bool closed() const { return closed_; }
  std::size_t id() const { return id_; }

 private:
  friend class FakeServer;
  void read_more();
  void flush();

  asio::ip::tcp::socket socket_;
  FakeServer* server_;  // null once the server is gone
  std::size_t id_;
  FrameDecoder decoder_{std::size_t{16} << 20};
  std::array<char, 16 * 1024> buf_{};
  std::string queued_;
  std::string writing_;
  bool writing_now_ = false;
  bool closed_ = false;
};

class FakeServer {
 public:
  using Handler = std::function<void(const std::shared_ptr<FakeConn>&, const Request&)>;

  // Listens on 127.0.0.1:0. The default handler answers every request kOk at once.
  explicit FakeServer(asio::io_context& io);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::string address() const;  // "127.0.0.1:PORT"
  void set_handler(Handler handler) { handler_ = std::move(handler); }

  // Every request received, in arrival order, over all connections.
  const std::vector<Request>& requests() const { return requests_; }
  std::size_t connections_accepted() const { return accepted_; }
  // Frames from the client that were not well-formed kClientRequests (should stay 0).
  std::size_t protocol_errors() const { return protocol_errors_; }
  // Closes every open connection (the listener stays up).
  void close_connections();

 private:
  friend class FakeConn;
  void accept();
  void dispatch(const std::shared_ptr<FakeConn>& conn, Request request);

  asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  std::vector<Request> requests_;
  std::vector<std::shared_ptr<FakeConn>> conns_;
  std::size_t accepted_ = 0;
  std::size_t protocol_errors_ = 0;
};

// A kOk Response echoing the request's seq.
Response ok_for(const Request& request);
// An endpoint on which nothing listens (a port that was bound and released), so connecting to it
// is refused at once.
std::string refused_endpoint();

}  // namespace paxoskv::client::testing
