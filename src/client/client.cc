#include "client/client.h"

#include <memory>
#include <optional>
#include <utility>

namespace paxoskv::client {

Client::Client(ClientOptions options) : io_(), async_(io_, std::move(options)) {}

Client::~Client() = default;

Response Client::wait(const std::function<void(AsyncClient::Callback)>& start) {
  // Shared so that the callback stays valid even if, against the contract, it fires after we
  // returned (it cannot: the AsyncClient always completes, and we run until it has).
  auto result = std::make_shared<std::optional<Response>>();
  start([result](Response r) { *result = std::move(r); });
  io_.restart();
  while (!result->has_value()) {
    // run_one returns 0 only when no work is left, which cannot happen while the request's
    // deadline timer is armed; guard anyway rather than spin.
    if (io_.run_one() == 0) {
      Response r;
      r.status = Status::kInternal;
      r.error = "client event loop ran out of work before the request completed";
      return r;
    }
  }
  return std::move(**result);
}

Response Client::send(Request request) {
  return wait([&](AsyncClient::Callback cb) { async_.send(std::move(request), std::move(cb)); });
}
Response Client::put(std::string key, std::string value, bool prev_kv) {
  return send(make_put(std::move(key), std::move(value), prev_kv));
}
Response Client::get(std::string key, bool serializable) {
  return send(make_get(std::move(key), serializable));
}
Response Client::del(std::string key, bool prev_kv) {
  return send(make_delete(std::move(key), prev_kv));
}
Response Client::delete_range(std::string key, std::string range_end, bool prev_kv) {
  return send(make_delete_range(std::move(key), std::move(range_end), prev_kv));
}
Response Client::cas(std::string key, Compare compare, std::string new_value) {
  return send(make_cas(std::move(key), std::move(compare), std::move(new_value)));
}
Response Client::range(std::string key, std::string range_end, std::uint64_t limit,
                       bool serializable) {
  return send(make_range(std::move(key), std::move(range_end), limit, serializable));
}
Response Client::scan_prefix(const std::string& prefix, std::uint64_t limit, bool serializable) {
  return send(make_prefix_scan(prefix, limit, serializable));
}
Response Client::status(const std::string& endpoint) {
  return wait([&](AsyncClient::Callback cb) { async_.status(endpoint, std::move(cb)); });
}

std::vector<Response> Client::status_all(const std::vector<std::string>& endpoints) {
  auto results = std::make_shared<std::vector<std::optional<Response>>>(endpoints.size());
  auto remaining = std::make_shared<std::size_t>(endpoints.size());
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    async_.status(endpoints[i], [results, remaining, i](Response r) {
      (*results)[i] = std::move(r);
      --*remaining;
    });
  }
  io_.restart();
  while (*remaining > 0 && io_.run_one() > 0) {
  }
  std::vector<Response> out;
  out.reserve(endpoints.size());
  for (auto& r : *results) {
    if (r) {
      out.push_back(std::move(*r));
    } else {
      Response missing;
      missing.status = Status::kInternal;
      missing.error = "no status result";
      out.push_back(std::move(missing));
    }
  }
  return out;
}

}  // namespace paxoskv::client
