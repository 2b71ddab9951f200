// Shared driver of the two frame fuzzers: feeds the input to a FrameDecoder in chunks whose size
// the first input byte chooses (so partial headers and bodies are explored too), and hands every
// complete frame to `on_frame`. Any crash, sanitizer report or abort() is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/codec.h"
#include "common/frame.h"

namespace paxoskv::fuzz {

template <class OnFrame>
void drive_frames(const std::uint8_t* data, std::size_t size, std::size_t max_body_bytes,
                  OnFrame on_frame) {
  if (size == 0) return;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  const std::size_t n = size - 1;
  FrameDecoder decoder(max_body_bytes);
  for (std::size_t at = 0; at < n && !decoder.failed(); at += chunk) {
    const std::size_t len = chunk < n - at ? chunk : n - at;
    // Alternate the two ways in, as the server uses prepare/commit and tests use feed.
    if ((at / chunk) % 2 == 0) {
      decoder.feed(bytes + at, len);
    } else {
      auto room = decoder.prepare(len);
      if (room.size() < len) std::abort();
      std::memcpy(room.data(), bytes + at, len);
      decoder.commit(len);
    }
    while (auto frame = decoder.next_view()) {
      if (frame->body.size() > max_body_bytes) std::abort();
      on_frame(*frame);
    }
    if (decoder.failed() && decoder.error().empty()) std::abort();
    if (decoder.buffered_bytes() > kFrameHeaderBytes + max_body_bytes + chunk) std::abort();
  }
}

// A body that decodes must be the canonical encoding of what it decoded to: otherwise two
// different byte strings would mean the same command, or a field was silently dropped.
template <class T>
void check_body(std::string_view body) {
  T value;
  std::string error;
  if (decode(body, value, &error)) {
    if (!error.empty() || encode(value) != body) std::abort();
  } else if (error.empty()) {
    std::abort();
  }
}

}  // namespace paxoskv::fuzz
