// paxoskv blocking client: the AsyncClient's semantics (retries with the same seq, leader
// redirects, per-request deadline ending in Status::kTimeout) behind calls that return the final
// Response.
//
//   paxoskv::client::Client kv({.endpoints = {"127.0.0.1:7101", "127.0.0.1:7102"}});
//   paxoskv::Response r = kv.get("k");
//   if (r.status == paxoskv::Status::kOk) use(r.kvs.front().value);
//
// Each Client owns an io_context that it runs on the calling thread only while a call is in
// progress, so a Client is not thread-safe: use one per thread (each gets its own exactly-once
// session), or share an AsyncClient on an io_context of your own.
#pragma once

// Some standard header must come before <asio.hpp>: asio 1.22 chooses aligned_alloc/free or
// operator new/delete from a libstdc++ macro, so a translation unit that includes asio first
// pairs one allocator with the other's deallocator across TUs (ASan: alloc-dealloc-mismatch).
// clang-format off
#include <cstddef>
#include <asio.hpp>
// clang-format on

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "client/async_client.h"

namespace paxoskv::client {

class Client {
 public:
  // Throws std::invalid_argument on an empty or malformed endpoint list.
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request and blocks until its final Response (at most about request_timeout).
  Response send(Request request);

  Response put(std::string key, std::string value, bool prev_kv = false);
  Response get(std::string key, bool serializable = false);
  Response del(std::string key, bool prev_kv = false);
  Response delete_range(std::string key, std::string range_end, bool prev_kv = false);
  Response cas(std::string key, Compare compare, std::string new_value);
  Response range(std::string key, std::string range_end, std::uint64_t limit = 0,
                 bool serializable = false);
  Response scan_prefix(const std::string& prefix, std::uint64_t limit = 0,
                       bool serializable = false);
  // Status of exactly this endpoint (see AsyncClient::status).
  Response status(const std::string& endpoint);
  // Status of several endpoints, asked in parallel; results in the order of `endpoints`.
  std::vector<Response> status_all(const std::vector<std::string>& endpoints);

  std::uint64_t client_id() const { return async_.client_id(); }
  const std::string& current_endpoint() const { return async_.current_endpoint(); }

 private:
  // Starts one operation with a completion callback and runs the io_context until it completes.
  Response wait(const std::function<void(AsyncClient::Callback)>& start);

  asio::io_context io_;
  AsyncClient async_;
};

}  // namespace paxoskv::client
