#include "common/protocol.h"

namespace paxoskv {

const char* status_name(Status status) {
  switch (status) {
    case Status::kOk:
      return "OK";
    case Status::kNotFound:
      return "NOT_FOUND";
    case Status::kCompareFailed:
      return "COMPARE_FAILED";
    case Status::kNotLeader:
      return "NOT_LEADER";
    case Status::kTimeout:
      return "TIMEOUT";
    case Status::kBadRequest:
      return "BAD_REQUEST";
    case Status::kBusy:
      return "BUSY";
    case Status::kUnavailable:
      return "UNAVAILABLE";
    case Status::kSessionExpired:
      return "SESSION_EXPIRED";
    case Status::kInternal:
      return "INTERNAL";
  }
  // Reachable only through a cast of an out-of-range byte; the codec rejects those on the wire,
  // but a log line must never crash.
  return "UNKNOWN";
}

// etcd's GetPrefixRangeEnd: the first key after every key with this prefix is the prefix with
// its last byte that can still be incremented incremented, and everything after it dropped.
// Trailing 0xff bytes cannot be incremented, so they go; if every byte is 0xff (or the prefix is
// empty), no finite key bounds the range and "\0" asks for every key >= the start.
std::string prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

}  // namespace paxoskv
