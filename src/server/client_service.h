// Accepts client connections on the client port and turns their frames into Requests.
//
// Limits keep one client from starving the others: a cap on open connections (new ones beyond it
// are closed at once), an idle timeout, a per-connection outgoing queue limit (a client that
// sends but never reads is disconnected), and the frame size limit checked before any
// allocation. A frame that is well formed but whose body does not decode gets a kBadRequest
// answer and the connection stays open; a bad frame closes it.
#pragma once

#include <asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string_view>

#include "common/protocol.h"
#include "common/server_config.h"
#include "server/connection.h"

namespace paxoskv::server {

class ClientService {
 public:
  using RequestHandler = std::function<void(const std::shared_ptr<Connection>&, Request&&)>;
  // Also gets the frame body the request was decoded from (valid during the call only): a write
  // can become its log entry with command_from_request_body() instead of being encoded again.
  using RequestWithBodyHandler =
      std::function<void(const std::shared_ptr<Connection>&, Request&&, std::string_view body)>;

  // The handler may move from the Request; if it does not, the next request reuses its buffers.
  ClientService(asio::io_context& io, const ServerConfig& config, RequestHandler on_request);
  ClientService(asio::io_context& io, const ServerConfig& config,
                RequestWithBodyHandler on_request);

  void start();  // binds the client port; throws asio::system_error on failure
  void stop();

  // Sends `response` on `connection` if it is still open.
  static void reply(const std::shared_ptr<Connection>& connection, const Response& response);

  std::size_t open_connections() const { return open_; }

 private:
  void accept();

  asio::io_context& io_;
  const ServerConfig& config_;
  RequestWithBodyHandler on_request_;
  Request request_scratch_;  // decoded requests, reused (see accept())
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  // Open connections by id, so that stop() can close them: otherwise their pending reads keep the
  // io_context running until every client goes idle.
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::size_t open_ = 0;
  std::uint64_t refused_ = 0;
  bool stopped_ = false;
};

}  // namespace paxoskv::server
