#include "raw_connection.h"

#include <stdexcept>

namespace paxoskv::testing {

RawConnection::RawConnection(const std::string& address)
    : socket_(io_), decoder_(64 << 20) {
  const auto colon = address.rfind(':');
  asio::ip::tcp::resolver resolver(io_);
  asio::connect(socket_, resolver.resolve(address.substr(0, colon), address.substr(colon + 1)));
}

void RawConnection::send_bytes(std::string_view bytes) {
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()));
}

Response RawConnection::call(const Request& request, std::chrono::milliseconds timeout) {
  std::string frame;
  append_frame(frame, request);
  send_bytes(frame);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto r = read_response(left);
    if (!r) break;
    if (r->seq == request.seq) return *r;
  }
  throw std::runtime_error("no response in time");
}

std::optional<Response> RawConnection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto frame = decoder_.next()) {
      Response r;
      std::string error;
      if (frame->kind != FrameKind::kClientResponse || !decode(frame->body, r, &error)) {
        throw std::runtime_error("bad response frame: " + error);
      }
      return r;
    }
    if (decoder_.failed()) throw std::runtime_error(decoder_.error());
    std::span<char> buf = decoder_.prepare(64 * 1024);
    std::size_t got = 0;
    if (read_some_until(buf, deadline, got)) return std::nullopt;
    decoder_.commit(got);
  }
}

bool RawConnection::closed_by_server(std::chrono::milliseconds timeout, std::size_t* drained) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<char> buffer(64 * 1024);
  std::size_t total = 0;
  asio::error_code ec;
  for (;;) {
    std::size_t got = 0;
    ec = read_some_until(buffer, deadline, got);
    total += got;
    if (ec) break;
  }
  if (drained) *drained = total;
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

asio::error_code RawConnection::read_some_until(std::span<char> buffer,
                                                std::chrono::steady_clock::time_point deadline,
                                                std::size_t& got) {
  // Run the io_context for at most the time left; a read still pending then is cancelled and
  // reported as timed_out.
  asio::error_code ec = asio::error::would_block;
  socket_.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                          [&](const asio::error_code& e, std::size_t n) {
                            ec = e;
                            got = n;
                          });
  io_.restart();
  io_.run_until(deadline);
  if (ec == asio::error::would_block) {
    socket_.cancel();
    io_.restart();
    io_.run();
    return asio::error::timed_out;
  }
  return ec;
}

}  // namespace paxoskv::testing
