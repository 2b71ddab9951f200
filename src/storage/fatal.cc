#include "fatal.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace paxoskv::storage {

void fatal(std::string_view what) {
  // stderr first: it is unbuffered and works even if the logger is misconfigured.
  std::fprintf(stderr, "paxoskv: fatal: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  if (auto logger = spdlog::default_logger()) {
    logger->critical("fatal: {}", what);
    logger->flush();
  }
  std::_Exit(kFatalExitStatus);
}

std::string errno_message(std::string_view what, int err) {
  std::string out(what);
  out += ": ";
  out += std::strerror(err);
  return out;
}

}  // namespace paxoskv::storage
