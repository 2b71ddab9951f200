// The schedule of an open loop: at `rate_per_s`, request i (0-based) is due at
// start + i / rate. The driver asks for every request due by "now", sends it, and measures its
// latency from the due time, not the send time: if the server (or the driver) stalls, the
// requests that should have gone out meanwhile are still sent -- late -- and their latency
// includes the wait, so a stall cannot hide (no coordinated omission).
//
// Pure: time is passed in (nanoseconds on any monotonic scale), so tests inject it.
#pragma once

#include <cstdint>
#include <optional>

namespace paxoskv::bench {

class OpenLoopPacer {
 public:
  OpenLoopPacer(std::int64_t start_ns, double rate_per_s);

  // Takes the next request if it is due at or before now_ns, and returns its due time.
  std::optional<std::int64_t> take_due(std::int64_t now_ns);
  // When the next request not yet taken is due.
  std::int64_t next_due_ns() const;
  std::uint64_t taken() const { return taken_; }

 private:
  std::int64_t start_ns_;
  double interval_ns_;
  std::uint64_t taken_ = 0;
};

// Latency and send-lag arithmetic shared by both loops. A closed loop's request is due when it is
// sent; an open loop's when its schedule says.
struct RequestTimes {
  std::int64_t due_ns = 0;
  std::int64_t sent_ns = 0;
  std::int64_t received_ns = 0;
  std::int64_t latency_ns() const { return received_ns - due_ns; }
  std::int64_t send_lag_ns() const { return sent_ns - due_ns; }
};

// A send later than this after its due time means the driver is not keeping up with the rate.
inline constexpr std::int64_t kLateSendNs = 1'000'000;

}  // namespace paxoskv::bench
