// Writes seed inputs for the frame fuzzers: valid streams of every frame kind and payload, so
// that libFuzzer starts from inputs that get past the header checks instead of rediscovering the
// magic number. Usage: fuzz_seed_corpus <dir>  (creates <dir>/fuzz_client_frames/ and
// <dir>/fuzz_peer_frames/). Each seed starts with the chunk-size byte the targets read first.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <variant>

#include "common/codec.h"

namespace {

namespace fs = std::filesystem;
using namespace paxoskv;

void write_seed(const fs::path& dir, const std::string& name, char chunk, const std::string& s) {
  std::ofstream out(dir / name, std::ios::binary);
  out.put(chunk);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

std::vector<Request> requests() {
  Request put{.client_id = 7, .seq = 1, .op = Op::kPut, .key = "k", .value = "v"};
  Request get{.seq = 2, .op = Op::kGet, .key = "k", .serializable = true};
  Request range{.seq = 3, .op = Op::kRange, .key = "a", .range_end = prefix_end("a"), .limit = 10};
  Request cas{.client_id = 7, .seq = 4, .op = Op::kCas, .key = "k", .value = "w"};
  cas.compare = Compare{Compare::Target::kVersion, "", 1};
  Request del{.seq = 5, .op = Op::kDeleteRange, .key = "a", .range_end = std::string(1, '\0')};
  return {put, get, range, cas, del, Request{.op = Op::kStatus}};
}

void client_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  std::string all;
  int i = 0;
  for (const Request& r : requests()) {
    std::string one;
    append_frame(one, r);
    write_seed(dir, "request" + std::to_string(i++), '\xff', one);
    all += one;
  }
  write_seed(dir, "pipelined_chunk1", '\0', all);
  write_seed(dir, "pipelined_chunk7", '\6', all);
  Response resp{.seq = 1, .status = Status::kOk, .revision = 3};
  resp.kvs.push_back(KeyValue{"k", "v", 1, 3, 2});
  resp.prev_kv = KeyValue{"k", "u", 1, 2, 1};
  resp.node = NodeStatus{.node_id = 1, .role = "leader", .connected_peers = {2, 3}};
  std::string r;
  append_frame(r, resp);
  write_seed(dir, "response", '\xff', r);
}

template <std::size_t... I>
void every_payload(std::string& out, std::index_sequence<I...>) {
  (append_frame(out, paxos::Message{paxos::NodeId(1), paxos::NodeId(2), paxos::ConfigId(1),
                                    paxos::Payload(std::in_place_index<I>)}),
   ...);
}

void peer_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  std::string hello;
  append_frame(hello, PeerHello{"paxoskv", 1});
  write_seed(dir, "hello", '\xff', hello);
  std::string all = hello;
  every_payload(all, std::make_index_sequence<std::variant_size_v<paxos::Payload>>{});
  write_seed(dir, "every_payload", '\xff', all);
  write_seed(dir, "every_payload_chunk5", '\4', all);
  paxos::AcceptDecide ad{paxos::Ballot{paxos::ConfigId(1), 3, 0, paxos::NodeId(1)},
                         9,
                         paxos::LogIndex(4),
                         paxos::LogIndex(5),
                         {}};
  for (const Request& r : requests()) ad.entries.push_back(encode_command(r));
  std::string batch;
  append_frame(batch, paxos::Message{paxos::NodeId(1), paxos::NodeId(2), paxos::ConfigId(1), ad});
  write_seed(dir, "accept_decide_batch", '\xff', batch);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
    return 2;
  }
  const fs::path root(argv[1]);
  client_seeds(root / "fuzz_client_frames");
  peer_seeds(root / "fuzz_peer_frames");
  return 0;
}
