// Builders for the client protocol's Requests, and endpoint-string parsing.
//
// Every helper of AsyncClient / Client is a thin wrapper over one of these builders, so code that
// wants to assemble Requests itself (batch tools, tests) gets exactly the same field settings.
// The builders leave client_id, seq and first_unacked_seq at 0: the client assigns them in send().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.h"

namespace paxoskv::client {

// put KEY VALUE; with prev_kv the Response carries the previous key-value (if any) in prev_kv.
Request make_put(std::string key, std::string value, bool prev_kv = false);

// get KEY. serializable = serve from the contacted node's state without a quorum round (may be
// stale, but a follower can answer it); otherwise the read is linearizable and goes to the leader.
Request make_get(std::string key, bool serializable = false);

// delete KEY; Response.deleted is 0 or 1.
Request make_delete(std::string key, bool prev_kv = false);

// delete every key in [key, range_end). range_end "\0" (one zero byte) means "every key >= key".
Request make_delete_range(std::string key, std::string range_end, bool prev_kv = false);

// If `compare` holds for KEY, put NEW_VALUE (Response.succeeded tells which).
Request make_cas(std::string key, Compare compare, std::string new_value);

// Keys in [key, range_end), at most `limit` of them (0 = no limit); Response.more is set when the
// limit cut the result short. An empty range_end reads just `key`.
Request make_range(std::string key, std::string range_end, std::uint64_t limit = 0,
                   bool serializable = false);

// Every key that starts with `prefix` (all keys for an empty prefix).
Request make_prefix_scan(const std::string& prefix, std::uint64_t limit = 0,
                         bool serializable = false);

// Node status of the node that receives it (never redirected, not replicated).
Request make_status();

// Compare builders for make_cas.
Compare compare_value(std::string value);             // value == `value`
Compare compare_version(std::int64_t version);        // version == `version` (0 = absent)
Compare compare_mod_revision(std::int64_t revision);  // mod_revision == `revision`
Compare compare_absent();                             // the key does not exist (version == 0)

// A "host:port" endpoint. IPv6 literals are written in brackets: "[::1]:7101".
struct Endpoint {
  std::string host;
  std::string port;
};
// Parses one endpoint; on failure returns false and describes the problem in *error.
bool parse_endpoint(std::string_view text, Endpoint& out, std::string* error);
// Splits "a:1,b:2" (spaces around items are ignored, empty items are skipped) and validates each
// item with parse_endpoint. On failure returns false with the offending item in *error.
bool parse_endpoint_list(std::string_view text, std::vector<std::string>& out, std::string* error);

}  // namespace paxoskv::client
