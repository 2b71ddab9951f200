// Printing a CheckResult: a summary for people and a JSON object for scripts (the nemesis
// harness keeps it next to the history).
#pragma once

#include <string>

#include "checker/checker.h"

namespace paxoskv::checker {

// Several lines: counts, time taken, verdict and, for each violation, its explanation.
std::string format_report(const CheckResult& result);

// One JSON object (no trailing newline) with the same content. Operations appear in the history
// format plus their "line" in the history file.
std::string report_json(const CheckResult& result);

}  // namespace paxoskv::checker
