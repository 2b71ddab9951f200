// libFuzzer target: a peer connection's byte stream (a hello, then consensus messages).
#include <cstdint>

#include "fuzz_frames_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace paxoskv;
  fuzz::drive_frames(data, size, 16 * 1024, [](const FrameView& frame) {
    if (frame.kind == FrameKind::kPeerHello) {
      fuzz::check_body<PeerHello>(frame.body);
    } else if (frame.kind == FrameKind::kPeerMessage) {
      fuzz::check_body<paxos::Message>(frame.body);
    }
  });
  return 0;
}
