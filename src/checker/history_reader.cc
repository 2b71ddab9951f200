#include "checker/history_reader.h"

#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

namespace paxoskv::checker {

std::string HistoryError::to_string() const {
  if (line == 0) return message;
  return "line " + std::to_string(line) + ": " + message;
}

namespace {

using nlohmann::json;

// Field access that turns every type problem into a sentence naming the field. Each returns
// nullopt and sets `error` on a problem; `error` keeps the first problem only.
class FieldReader {
 public:
  explicit FieldReader(const json& object) : object_(object) {}

  const std::optional<std::string>& error() const { return error_; }

  bool has(const char* name) const { return object_.contains(name); }
  bool is_null_or_missing(const char* name) const {
    return !object_.contains(name) || object_.at(name).is_null();
  }

  std::optional<std::string> required_string(const char* name) {
    if (!object_.contains(name)) return fail(std::string("missing field \"") + name + "\"");
    return string_field(name);
  }

  std::optional<std::string> string_field(const char* name) {
    const json& v = object_.at(name);
    if (!v.is_string()) return fail(quoted(name) + " must be a string, not " + v.type_name());
    return v.get<std::string>();
  }

  // An integer in [0, INT64_MAX] (times and client ids are never negative).
  std::optional<std::int64_t> required_integer(const char* name) {
    if (!object_.contains(name)) return fail(std::string("missing field \"") + name + "\"");
    const json& v = object_.at(name);
    if (v.is_number_unsigned()) {
      if (v.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return fail(quoted(name) + " is too large");
      }
      return static_cast<std::int64_t>(v.get<std::uint64_t>());
    }
    if (v.is_number_integer()) return fail(quoted(name) + " must not be negative");
    return fail(quoted(name) + " must be an integer, not " + std::string(v.type_name()));
  }

 private:
  static std::string quoted(const char* name) { return std::string("\"") + name + "\""; }
  std::nullopt_t fail(std::string message) {
    if (!error_) error_ = std::move(message);
    return std::nullopt;
  }

  const json& object_;
  std::optional<std::string> error_;
};

// Fills `op` from the object `j`; returns the first problem as a sentence, or nullopt.
std::optional<std::string> read_fields(const json& j, Operation& op) {
  FieldReader fields(j);
  const auto client = fields.required_integer("client");
  const auto op_name = fields.required_string("op");
  const auto key = fields.required_string("key");
  const auto start_ns = fields.required_integer("start_ns");
  if (fields.error()) return fields.error();
  const auto kind = op_kind_from_name(*op_name);
  if (!kind) {
    return "unknown \"op\" \"" + *op_name + "\" (expected put, get, delete or cas)";
  }
  op.client = static_cast<std::uint64_t>(*client);
  op.kind = *kind;
  op.key = *key;
  op.start_ns = *start_ns;

  // end_ns must be present: a harness that forgot it must not have every operation silently
  // treated as "outcome unknown", which would accept almost anything.
  if (!fields.has("end_ns")) return std::string("missing field \"end_ns\" (null if unknown)");
  if (!j.at("end_ns").is_null()) {
    const auto end_ns = fields.required_integer("end_ns");
    if (!end_ns) return fields.error();
    op.end_ns = *end_ns;
  }

  const bool writes_value = op.kind == OpKind::kPut || op.kind == OpKind::kCas;
  if (writes_value) {
    const auto value = fields.required_string("value");
    if (!value) return fields.error();
    op.value = *value;
  } else if (!fields.is_null_or_missing("value")) {
    return std::string(op_kind_name(op.kind)) + " has no \"value\"";
  }

  if (op.kind == OpKind::kCas) {
    // Required even though null is allowed: "expected": null is a real condition (key absent),
    // and a forgotten field must not turn into it.
    if (!fields.has("expected")) {
      return std::string("missing field \"expected\" (null means the key is absent)");
    }
    if (!j.at("expected").is_null()) {
      const auto expected = fields.string_field("expected");
      if (!expected) return fields.error();
      op.expected = *expected;
    }
  } else if (!fields.is_null_or_missing("expected")) {
    return std::string("only cas has \"expected\"");
  }

  if (!fields.is_null_or_missing("ret")) {
    const json& ret = j.at("ret");
    if (op.kind == OpKind::kGet) {
      if (!ret.is_string()) {
        return std::string("\"ret\" of a get must be a string or null, not ") + ret.type_name();
      }
      op.read_value = ret.get<std::string>();
    } else if (op.kind == OpKind::kCas) {
      if (!ret.is_boolean()) {
        return std::string("\"ret\" of a cas must be true or false, not ") + ret.type_name();
      }
      op.cas_succeeded = ret.get<bool>();
    } else {
      return "\"ret\" of a " + std::string(op_kind_name(op.kind)) + " must be null";
    }
  }
  return validate_operation(op);
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

std::variant<Operation, HistoryError> parse_operation_line(std::string_view text,
                                                           std::size_t line) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 9: ...";
    // the bracketed id means nothing to a reader, and "line 1" is the line's own line.
    std::string what = e.what();
    const auto cut = what.find("] ");
    if (cut != std::string::npos) what.erase(0, cut + 2);
    return HistoryError{line, "not valid JSON (" + what + ")"};
  }
  if (!j.is_object()) {
    return HistoryError{line, std::string("expected a JSON object, not ") + j.type_name()};
  }
  Operation op;
  op.line = line;
  if (auto problem = read_fields(j, op)) return HistoryError{line, std::move(*problem)};
  return op;
}

HistoryReadResult read_history(std::istream& in) {
  HistoryReadResult result;
  std::string text;
  std::size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (is_blank(text)) continue;
    auto parsed = parse_operation_line(text, line);
    if (auto* error = std::get_if<HistoryError>(&parsed)) {
      result.operations.clear();
      result.error = std::move(*error);
      return result;
    }
    result.operations.push_back(std::move(std::get<Operation>(parsed)));
  }
  if (in.bad()) {
    result.operations.clear();
    result.error = HistoryError{line + 1, "read error"};
  }
  return result;
}

HistoryReadResult read_history_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    HistoryReadResult result;
    result.error = HistoryError{0, "cannot open " + path};
    return result;
  }
  return read_history(in);
}

}  // namespace paxoskv::checker
