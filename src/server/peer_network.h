// Connections to the other members of the cluster.
//
// Each node dials the peers with lower ids and accepts the others, so every pair has exactly one
// connection and nobody races to replace it. The dialler sends a PeerHello (cluster id, node id)
// and the acceptor answers with its own; a wrong cluster or an unknown node is refused and logged.
// A lost connection is redialled with backoff, and every new connection is reported, so that the
// core can resync (`OmniPaxos::reconnected`): messages on the old one may have been lost. Every
// lost connection is reported too (`OmniPaxos::disconnected`): a peer process that dies closes its
// sockets at once, which is the quickest sign of a failed leader there is.
#pragma once

#include <asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/protocol.h"
#include "common/server_config.h"
#include "paxos/messages.h"
#include "server/connection.h"

namespace paxoskv::server {

class PeerNetwork {
 public:
  using MessageHandler = std::function<void(paxos::Message&&)>;
  using ConnectedHandler = std::function<void(std::uint64_t peer_id)>;
  using DisconnectedHandler = std::function<void(std::uint64_t peer_id)>;

  // `on_disconnected` runs (posted, never inside send()) when an established connection closed
  // and no newer one has replaced it.
  PeerNetwork(asio::io_context& io, const ServerConfig& config, MessageHandler on_message,
              ConnectedHandler on_connected, DisconnectedHandler on_disconnected);

  // Binds the peer port (throws asio::system_error on failure) and starts dialling.
  void start();
  void stop();

  // Sends a message to its destination if connected; otherwise drops it (the core resends).
  void send(const paxos::Message& message);
  std::vector<std::uint64_t> connected_peers() const;

  // Fault injection (server/fault_injection.h): which messages of a peer link are dropped.
  // `sending`: dropped in send(), never queued; `receiving`: dropped on arrival, before decoding.
  // The connection and its handshake are untouched, so a block is pure message loss, which the
  // core recovers from by its sequence numbers and resends once the block is lifted.
  struct Blocked {
    bool sending = false;
    bool receiving = false;
  };
  // False (and nothing changes) if `peer_id` is not another member of the cluster.
  bool set_blocked(std::uint64_t peer_id, Blocked blocked);
  Blocked blocked(std::uint64_t peer_id) const;
  std::vector<std::uint64_t> peer_ids() const;

 private:
  struct Peer {
    PeerConfig config;
    Blocked blocked;
    std::shared_ptr<Connection> connection;  // established (hello exchanged), or null
    std::unique_ptr<asio::steady_timer> redial_timer;
    std::chrono::milliseconds backoff{50};
  };

  // What one connection knows about itself before and after the handshake.
  struct Link {
    std::uint64_t peer_id = 0;  // known from the start when we dialled; from the hello otherwise
    bool dialled = false;
    bool established = false;
  };

  void accept();
  void dial(std::uint64_t peer_id);
  void schedule_redial(std::uint64_t peer_id);
  void run(std::shared_ptr<Connection> connection, std::shared_ptr<Link> link);
  void on_hello(Connection& connection, Link& link, FrameView frame);
  void on_closed(Connection& connection, const Link& link, const std::string& reason);
  void on_peer_frame(std::uint64_t peer_id, Connection& connection, FrameView frame);
  bool valid_hello(const PeerHello& hello, std::string* reason) const;
  Connection::Limits limits() const;

  asio::io_context& io_;
  const ServerConfig& config_;
  MessageHandler on_message_;
  ConnectedHandler on_connected_;
  DisconnectedHandler on_disconnected_;
  asio::ip::tcp::acceptor acceptor_;
  std::map<std::uint64_t, Peer> peers_;  // other members by id
  std::string encode_buffer_;
  bool stopped_ = false;
};

// Parses "host:port" into an endpoint (numeric hosts and names; names resolve synchronously at
// start-up only).
asio::ip::tcp::endpoint resolve_endpoint(asio::io_context& io, const std::string& address);

}  // namespace paxoskv::server
