#include "client/requests.h"

#include <charconv>
#include <utility>

namespace paxoskv::client {

Request make_put(std::string key, std::string value, bool prev_kv) {
  Request r;
  r.op = Op::kPut;
  r.key = std::move(key);
  r.value = std::move(value);
  r.prev_kv = prev_kv;
  return r;
}

Request make_get(std::string key, bool serializable) {
  Request r;
  r.op = Op::kGet;
  r.key = std::move(key);
  r.serializable = serializable;
  return r;
}

Request make_delete(std::string key, bool prev_kv) {
  Request r;
  r.op = Op::kDelete;
  r.key = std::move(key);
  r.prev_kv = prev_kv;
  return r;
}

Request make_delete_range(std::string key, std::string range_end, bool prev_kv) {
  Request r;
  r.op = Op::kDeleteRange;
  r.key = std::move(key);
  r.range_end = std::move(range_end);
  r.prev_kv = prev_kv;
  return r;
}

Request make_cas(std::string key, Compare compare, std::string new_value) {
  Request r;
  r.op = Op::kCas;
  r.key = std::move(key);
  r.compare = std::move(compare);
  r.value = std::move(new_value);
  return r;
}

Request make_range(std::string key, std::string range_end, std::uint64_t limit, bool serializable) {
  Request r;
  r.op = Op::kRange;
  r.key = std::move(key);
  r.range_end = std::move(range_end);
  r.limit = limit;
  r.serializable = serializable;
  return r;
}

Request make_prefix_scan(const std::string& prefix, std::uint64_t limit, bool serializable) {
  return make_range(prefix, prefix_end(prefix), limit, serializable);
}

Request make_status() {
  Request r;
  r.op = Op::kStatus;
  return r;
}

Compare compare_value(std::string value) {
  Compare c;
  c.target = Compare::Target::kValue;
  c.value = std::move(value);
  return c;
}

Compare compare_version(std::int64_t version) {
  Compare c;
  c.target = Compare::Target::kVersion;
  c.number = version;
  return c;
}

Compare compare_mod_revision(std::int64_t revision) {
  Compare c;
  c.target = Compare::Target::kModRevision;
  c.number = revision;
  return c;
}

// The protocol defines version 0 as "key absent", so absence is a version compare.
Compare compare_absent() {
  return compare_version(0);
}

bool parse_endpoint(std::string_view text, Endpoint& out, std::string* error) {
  auto fail = [&](const char* why) {
    if (error != nullptr) *error = "bad endpoint '" + std::string(text) + "': " + why;
    return false;
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') return fail("expected host:port");
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    // A bare IPv6 literal would have more colons in the host part: demand brackets instead of
    // guessing where the port starts.
    if (host.find(':') != std::string_view::npos) return fail("write IPv6 hosts as [addr]:port");
  }
  if (host.empty()) return fail("empty host");
  unsigned value = 0;
  const auto* end = port.data() + port.size();
  const auto [ptr, ec] = std::from_chars(port.data(), end, value);
  if (port.empty() || ec != std::errc() || ptr != end || value == 0 || value > 65535) {
    return fail("port must be a number in 1..65535");
  }
  out.host = std::string(host);
  out.port = std::string(port);
  return true;
}

bool parse_endpoint_list(std::string_view text, std::vector<std::string>& out, std::string* error) {
  std::vector<std::string> result;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    Endpoint ep;
    if (!parse_endpoint(item, ep, error)) return false;
    result.emplace_back(item);
  }
  if (result.empty()) {
    if (error != nullptr) *error = "no endpoints given";
    return false;
  }
  out = std::move(result);
  return true;
}

}  // namespace paxoskv::client
