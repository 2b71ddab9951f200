#include "server/peer_network.h"

#include <spdlog/spdlog.h>

#include "common/codec.h"

namespace paxoskv::server {

asio::ip::tcp::endpoint resolve_endpoint(asio::io_context& io, const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("no port in address " + address);
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(address.substr(0, colon), address.substr(colon + 1));
  return results.begin()->endpoint();
}

PeerNetwork::PeerNetwork(asio::io_context& io, const ServerConfig& config,
                         MessageHandler on_message, ConnectedHandler on_connected,
                         DisconnectedHandler on_disconnected)
    : io_(io),
      config_(config),
      on_message_(std::move(on_message)),
      on_connected_(std::move(on_connected)),
      on_disconnected_(std::move(on_disconnected)),
      acceptor_(io) {
  for (const PeerConfig& p : config_.peers) {
    if (p.id == config_.node_id) continue;
    Peer peer;
    peer.config = p;
    peer.redial_timer = std::make_unique<asio::steady_timer>(io_);
    peers_.emplace(p.id, std::move(peer));
  }
}

Connection::Limits PeerNetwork::limits() const {
  // Peers are authenticated members, and an AcceptSync carries a follower's whole missing suffix
  // (it cannot be split safely, see SequencePaxos::send_accept_sync), so peer frames may be far
  // larger than client frames. Until snapshots bound the suffix, allow up to 1 GiB (still checked
  // from the header before anything is allocated).
  constexpr std::uint64_t kPeerFrameBytesMax = std::uint64_t{1} << 30;
  Connection::Limits l;
  l.max_frame_bytes = std::max(config_.max_frame_bytes, kPeerFrameBytesMax);
  l.queue_bytes_max = config_.peer_queue_bytes_max;
  // Heartbeats cross every healthy link each election round, so a silent link is dead or
  // half-open (a peer that vanished without a reset); closing it lets the dialling side redial.
  // This also bounds how long a connection may sit in the handshake.
  l.idle_timeout = std::max(std::chrono::milliseconds(10'000),
                            std::chrono::milliseconds(20 * config_.election_timeout_ticks *
                                                      config_.tick_ms));
  return l;
}

void PeerNetwork::start() {
  const auto endpoint = resolve_endpoint(io_, config_.peer_listen);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  accept();
  for (auto& [id, peer] : peers_) {
    if (id < config_.node_id) dial(id);
  }
}

void PeerNetwork::stop() {
  stopped_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, peer] : peers_) {
    peer.redial_timer->cancel();
    if (peer.connection) peer.connection->close("shutting down");
  }
}

void PeerNetwork::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (stopped_) return;
    if (ec) {
      // Out of descriptors and the like: retry shortly instead of spinning.
      spdlog::warn("peer accept failed: {}; retrying in 100 ms", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, timer](const asio::error_code& wait_ec) {
        if (!wait_ec && !stopped_) accept();
      });
      return;
    }
    run(std::make_shared<Connection>(std::move(socket), limits(), "peer (handshaking)"),
        std::make_shared<Link>());
    accept();
  });
}

void PeerNetwork::dial(std::uint64_t peer_id) {
  if (stopped_) return;
  Peer& peer = peers_.at(peer_id);
  asio::ip::tcp::endpoint endpoint;
  try {
    endpoint = resolve_endpoint(io_, peer.config.peer_address);
  } catch (const std::exception& e) {
    spdlog::warn("cannot resolve peer {} at {}: {}", peer_id, peer.config.peer_address, e.what());
    schedule_redial(peer_id);
    return;
  }
  auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
  socket->async_connect(endpoint, [this, peer_id, socket](const asio::error_code& ec) {
    if (stopped_) return;
    if (ec) {
      schedule_redial(peer_id);
      return;
    }
    auto link = std::make_shared<Link>();
    link->peer_id = peer_id;
    link->dialled = true;
    auto connection = std::make_shared<Connection>(std::move(*socket), limits(),
                                                   "peer " + std::to_string(peer_id));
    run(connection, link);
    connection->send(FrameKind::kPeerHello, encode(PeerHello{config_.cluster_id, config_.node_id}));
  });
}

// Each connection's handlers share its Link; the connection keeps itself alive through its own
// pending reads, so nothing here needs to own it before the handshake completes.
void PeerNetwork::run(std::shared_ptr<Connection> connection, std::shared_ptr<Link> link) {
  connection->start(
      [this, link](Connection& c, FrameView frame) {
        if (link->established) {
          on_peer_frame(link->peer_id, c, frame);
        } else {
          on_hello(c, *link, frame);
        }
      },
      [this, link](Connection& c, const std::string& reason) { on_closed(c, *link, reason); });
}

bool PeerNetwork::valid_hello(const PeerHello& hello, std::string* reason) const {
  if (hello.cluster_id != config_.cluster_id) {
    *reason = "cluster id '" + hello.cluster_id + "' is not ours ('" + config_.cluster_id + "')";
    return false;
  }
  if (!peers_.count(hello.node_id)) {
    *reason = "node " + std::to_string(hello.node_id) + " is not a member of this cluster";
    return false;
  }
  return true;
}

void PeerNetwork::on_hello(Connection& c, Link& link, FrameView frame) {
  PeerHello hello;
  std::string reason;
  if (frame.kind != FrameKind::kPeerHello || !decode(frame.body, hello, &reason)) {
    spdlog::warn("peer connection refused: the first frame is not a valid hello ({})", reason);
    c.close("no hello");
    return;
  }
  if (!valid_hello(hello, &reason)) {
    spdlog::warn("peer connection from node {} refused: {}", hello.node_id, reason);
    c.close(reason);
    return;
  }
  if (link.dialled && hello.node_id != link.peer_id) {
    spdlog::warn("dialled node {} but node {} answered; closing", link.peer_id, hello.node_id);
    c.close("wrong node");
    return;
  }
  if (!link.dialled) {
    if (hello.node_id < config_.node_id) {
      spdlog::warn("peer connection from node {} refused: we dial lower ids", hello.node_id);
      c.close("wrong direction");
      return;
    }
    link.peer_id = hello.node_id;
    c.send(FrameKind::kPeerHello, encode(PeerHello{config_.cluster_id, config_.node_id}));
  }
  link.established = true;
  Peer& peer = peers_.at(link.peer_id);
  if (peer.connection) peer.connection->close("replaced by a new connection");
  peer.connection = c.shared_from_this();
  peer.backoff = std::chrono::milliseconds(50);
  c.set_name("peer " + std::to_string(link.peer_id));
  spdlog::info("connected to peer {}", link.peer_id);
  on_connected_(link.peer_id);
}

void PeerNetwork::on_closed(Connection& c, const Link& link, const std::string& reason) {
  if (link.established) {
    spdlog::info("lost peer {}: {}", link.peer_id, reason);
    Peer& peer = peers_.at(link.peer_id);
    // A connection closed because a newer one replaced it is no loss.
    if (peer.connection.get() == &c) {
      peer.connection.reset();
      // Posted: a close can happen inside send() (an overflowing queue), in the middle of the
      // caller's work with the core.
      asio::post(io_, [this, peer_id = link.peer_id] {
        if (!stopped_ && !peers_.at(peer_id).connection) on_disconnected_(peer_id);
      });
    }
  }
  // The dialling side owns reconnection; the accepting side waits to be dialled again.
  if (link.dialled) schedule_redial(link.peer_id);
}

void PeerNetwork::schedule_redial(std::uint64_t peer_id) {
  if (stopped_) return;
  Peer& peer = peers_.at(peer_id);
  peer.redial_timer->expires_after(peer.backoff);
  peer.backoff = std::min(peer.backoff * 2, std::chrono::milliseconds(1000));
  peer.redial_timer->async_wait([this, peer_id](const asio::error_code& ec) {
    if (!ec) dial(peer_id);
  });
}

void PeerNetwork::on_peer_frame(std::uint64_t peer_id, Connection& c, FrameView frame) {
  if (peers_.at(peer_id).blocked.receiving) return;  // injected fault
  paxos::Message message;
  std::string error;
  if (frame.kind != FrameKind::kPeerMessage || !decode(frame.body, message, &error)) {
    spdlog::warn("peer {}: undecodable frame ({}), closing the connection", peer_id, error);
    c.close("bad message");
    return;
  }
  if (message.from.value() != peer_id || message.to.value() != config_.node_id) {
    spdlog::warn("peer {}: dropped a message from {} to {}", peer_id, message.from.value(),
                 message.to.value());
    return;
  }
  on_message_(std::move(message));
}

void PeerNetwork::send(const paxos::Message& message) {
  auto it = peers_.find(message.to.value());
  if (it == peers_.end() || !it->second.connection || it->second.blocked.sending) return;
  it->second.connection->enqueue([&](std::string& out) { append_frame(out, message); });
}

bool PeerNetwork::set_blocked(std::uint64_t peer_id, Blocked blocked) {
  auto it = peers_.find(peer_id);
  if (it == peers_.end()) return false;
  it->second.blocked = blocked;
  return true;
}

PeerNetwork::Blocked PeerNetwork::blocked(std::uint64_t peer_id) const {
  auto it = peers_.find(peer_id);
  return it == peers_.end() ? Blocked{} : it->second.blocked;
}

std::vector<std::uint64_t> PeerNetwork::peer_ids() const {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, peer] : peers_) ids.push_back(id);
  return ids;
}

std::vector<std::uint64_t> PeerNetwork::connected_peers() const {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, peer] : peers_) {
    if (peer.connection && peer.connection->open()) ids.push_back(id);
  }
  return ids;
}

}  // namespace paxoskv::server
