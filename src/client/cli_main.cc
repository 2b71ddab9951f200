// `paxoskv`: command-line client. Everything but reading the environment lives in cli.h so that
// tests can drive it; see there for the commands, output formats and exit statuses.
#include <cstdlib>
#include <iostream>

#include "client/cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const int code =
      paxoskv::cli::run(argc, argv, std::getenv("PAXOSKV_ENDPOINTS"), std::cout, std::cerr);
  std::cout.flush();
  return code;
}
