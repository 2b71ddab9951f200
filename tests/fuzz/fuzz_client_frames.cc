// libFuzzer target: a client connection's byte stream (frames of requests), as the server sees it.
#include <cstdint>
#include <cstdlib>

#include "fuzz_frames_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace paxoskv;
  // A small limit, so that the oversize path is reachable from short inputs.
  fuzz::drive_frames(data, size, 4096, [](const FrameView& frame) {
    if (frame.kind == FrameKind::kClientRequest) {
      fuzz::check_body<Request>(frame.body);
      // The same bytes behind a version byte are a replicated command.
      Request request;
      std::string command(1, static_cast<char>(kCommandFormatVersion));
      command.append(frame.body);
      if (decode_command(command, request, nullptr) && encode_command(request) != command) {
        std::abort();
      }
    } else if (frame.kind == FrameKind::kClientResponse) {
      fuzz::check_body<Response>(frame.body);
    }
  });
  return 0;
}
