// Frame bodies: the binary encoding of peer messages, client requests and responses, the peer
// hello, and replicated commands (log entries).
//
// Encoding: cereal's binary layout (fixed-width little-endian integers, u64 length before every
// string and vector, i32 index before a variant, a "nullopt" bool byte before an optional),
// produced by the types' own `serialize` templates walked by small archives in codec.cc that write
// straight into the caller's buffer. cereal's own archives are not used: they cost more to build
// than a request costs to encode. tests/codec checks the bytes against cereal's
// BinaryOutputArchive, so the format cannot drift. Only little-endian hosts are supported
// (static_assert in codec.cc).
//
// Decoding never trusts the input: every length is checked against the bytes that remain before
// anything is allocated, so a body of n bytes can cause at most O(n) allocation; bools must be 0
// or 1; enums (Status, Op, Compare::Target) must be in range; the variant index must name a
// payload; and the body must be consumed exactly. A decoder returns false with a reason in
// `*error` (when error is not null) instead of throwing; on failure `out` holds unspecified but
// valid values. Decoding into an object that already holds strings reuses their capacity.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/frame.h"
#include "common/protocol.h"
#include "paxos/messages.h"
#include "paxos/types.h"

namespace paxoskv {

std::string encode(const paxos::Message& message);
std::string encode(const Request& request);
std::string encode(const Response& response);
std::string encode(const PeerHello& hello);

// Append-style encoders: reuse `out`'s capacity (e.g. a connection's write buffer).
void encode_to(std::string& out, const paxos::Message& message);
void encode_to(std::string& out, const Request& request);
void encode_to(std::string& out, const Response& response);
void encode_to(std::string& out, const PeerHello& hello);

// Appends a whole frame (header + body) of the matching kind, encoding the body in place:
// Message -> kPeerMessage, Request -> kClientRequest, Response -> kClientResponse,
// PeerHello -> kPeerHello.
void append_frame(std::string& out, const paxos::Message& message);
void append_frame(std::string& out, const Request& request);
void append_frame(std::string& out, const Response& response);
void append_frame(std::string& out, const PeerHello& hello);

bool decode(std::string_view body, paxos::Message& out, std::string* error);
bool decode(std::string_view body, Request& out, std::string* error);
bool decode(std::string_view body, Response& out, std::string* error);
bool decode(std::string_view body, PeerHello& out, std::string* error);

// Replicated commands. A log entry outlives the binary that wrote it (it is replayed after an
// upgrade), so it starts with a format-version byte; decode_command rejects unknown versions.
// Version 2 appended Request::with_state_hash and Request::fault; version 1 entries (without them)
// still decode.
inline constexpr std::uint8_t kCommandFormatVersion = 2;
paxos::Entry encode_command(const Request& request);
// The same entry built from a client frame body that decode() accepted as a Request, without
// encoding it again: decoding accepts only canonical encodings, so encode_command(r) equals
// command_from_request_body(body) whenever decode(body, r) succeeded.
paxos::Entry command_from_request_body(std::string_view request_body);
bool decode_command(std::string_view entry, Request& out, std::string* error);

// Range checks used by the decoders, exposed for callers that build values from other sources.
bool valid_status(Status status);
bool valid_op(Op op);
bool valid_compare_target(Compare::Target target);
bool valid_fault_command(const FaultCommand& fault);

}  // namespace paxoskv
