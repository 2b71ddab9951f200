// A blocking, framing-level client for tests that need exact control over what goes on the wire
// (fixed client ids and sequence numbers, malformed frames).
#pragma once

#include <asio.hpp>
#include <chrono>
#include <span>
#include <string>

#include "common/codec.h"
#include "common/frame.h"
#include "common/protocol.h"

namespace paxoskv::testing {

class RawConnection {
 public:
  explicit RawConnection(const std::string& address);

  void send_bytes(std::string_view bytes);
  // Sends `request` in a frame and waits for its response (by seq); throws after `timeout`.
  Response call(const Request& request, std::chrono::milliseconds timeout);
  // Reads one response frame; nullopt if the server closed the connection or `timeout` passed.
  std::optional<Response> read_response(std::chrono::milliseconds timeout);
  // True if the server closed the connection within `timeout`. Reads and discards whatever the
  // server still sends first, counting it in `drained` if given.
  bool closed_by_server(std::chrono::milliseconds timeout, std::size_t* drained = nullptr);

 private:
  // One read of at most buffer.size() bytes, waiting no later than `deadline`.
  asio::error_code read_some_until(std::span<char> buffer,
                                   std::chrono::steady_clock::time_point deadline, std::size_t& got);

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  FrameDecoder decoder_;
};

}  // namespace paxoskv::testing
