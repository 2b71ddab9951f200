// Reading a history in the JSON Lines format described in operation.h.
//
// Reading is all or nothing: the first malformed line stops it with an error that names the line,
// and the caller checks nothing. Blank lines (only spaces, tabs or a '\r') are skipped, so a file
// may end with a newline or be assembled with `cat`.
#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "checker/operation.h"

namespace paxoskv::checker {

struct HistoryError {
  std::size_t line = 0;  // 1-based; 0 when the problem is not on a line (a file that won't open)
  std::string message;

  // "line 7: missing field \"key\"", or just the message when line is 0.
  std::string to_string() const;
};

// One line of the format (without its newline) read as line number `line`.
std::variant<Operation, HistoryError> parse_operation_line(std::string_view text, std::size_t line);

struct HistoryReadResult {
  std::vector<Operation> operations;  // in file order; empty when error is set
  std::optional<HistoryError> error;
};

HistoryReadResult read_history(std::istream& in);
HistoryReadResult read_history_file(const std::string& path);

}  // namespace paxoskv::checker
