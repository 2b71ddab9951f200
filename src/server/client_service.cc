#include "server/client_service.h"

#include <spdlog/spdlog.h>

#include "common/codec.h"
#include "server/peer_network.h"

namespace paxoskv::server {

ClientService::ClientService(asio::io_context& io, const ServerConfig& config,
                             RequestHandler on_request)
    : ClientService(
          io, config,
          RequestWithBodyHandler([on_request = std::move(on_request)](
                                     const std::shared_ptr<Connection>& c, Request&& request,
                                     std::string_view) { on_request(c, std::move(request)); })) {}

ClientService::ClientService(asio::io_context& io, const ServerConfig& config,
                             RequestWithBodyHandler on_request)
    : io_(io),
      config_(config),
      on_request_(std::move(on_request)),
      acceptor_(io),
      accept_retry_(io) {}

void ClientService::start() {
  const auto endpoint = resolve_endpoint(io_, config_.client_listen);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  accept();
}

void ClientService::stop() {
  stopped_ = true;
  accept_retry_.cancel();
  asio::error_code ignored;
  acceptor_.close(ignored);
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [id, weak] : connections) {
    if (auto c = weak.lock()) c->close("server shutting down");
  }
}

void ClientService::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (stopped_) return;
    if (ec) {
      // Out of file descriptors and the like: the condition may pass, but retrying at once would
      // spin a core while it lasts. Try again shortly.
      spdlog::warn("client accept failed: {}; retrying in 100 ms", ec.message());
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](const asio::error_code& wait_ec) {
        if (!wait_ec && !stopped_) accept();
      });
      return;
    } else if (open_ >= config_.max_client_connections) {
      if (refused_++ % 1000 == 0) {
        spdlog::warn("refusing client connections: {} open (max_client_connections); {} refused",
                     open_, refused_);
      }
      asio::error_code ignored;
      socket.close(ignored);
    } else {
      Connection::Limits limits;
      limits.max_frame_bytes = config_.max_frame_bytes;
      limits.queue_bytes_max = config_.client_queue_bytes_max;
      limits.idle_timeout = std::chrono::milliseconds(config_.client_idle_timeout_ms);
      asio::error_code remote_ec;
      const auto remote = socket.remote_endpoint(remote_ec);
      auto connection = std::make_shared<Connection>(
          std::move(socket), limits,
          "client " + (remote_ec
                           ? std::string("?")
                           : remote.address().to_string() + ":" + std::to_string(remote.port())));
      ++open_;
      connections_.emplace(connection->id(), connection);
      std::weak_ptr<Connection> weak = connection;
      connection->start(
          [this, weak](Connection& c, FrameView frame) {
            if (frame.kind != FrameKind::kClientRequest) {
              c.close("unexpected frame kind from a client");
              return;
            }
            // Decoded into one reused Request: its strings keep their capacity from the last
            // request, so a put allocates nothing here. The handler runs to completion before the
            // next frame is decoded (nothing it calls reads from a socket).
            Request& request = request_scratch_;
            std::string error;
            if (!decode(frame.body, request, &error)) {
              Response bad;
              bad.status = Status::kBadRequest;
              bad.error = "undecodable request: " + error;
              c.enqueue([&](std::string& out) { append_frame(out, bad); });
              return;
            }
            if (auto self = weak.lock()) on_request_(self, std::move(request), frame.body);
          },
          [this](Connection& c, const std::string& reason) {
            --open_;
            connections_.erase(c.id());
            spdlog::debug("{} closed: {}", c.name(), reason);
          });
    }
    accept();
  });
}

void ClientService::reply(const std::shared_ptr<Connection>& connection, const Response& response) {
  if (connection && connection->open()) {
    connection->enqueue([&](std::string& out) { append_frame(out, response); });
  }
}

}  // namespace paxoskv::server
