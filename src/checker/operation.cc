#include "checker/operation.h"

#include <nlohmann/json.hpp>

namespace paxoskv::checker {

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kPut:
      return "put";
    case OpKind::kGet:
      return "get";
    case OpKind::kDelete:
      return "delete";
    case OpKind::kCas:
      return "cas";
  }
  return "?";
}

std::optional<OpKind> op_kind_from_name(std::string_view name) {
  for (OpKind kind : {OpKind::kPut, OpKind::kGet, OpKind::kDelete, OpKind::kCas}) {
    if (op_kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

std::optional<std::string> validate_operation(const Operation& op) {
  if (op.start_ns < 0) return "\"start_ns\" is negative";
  if (op.end_ns && *op.end_ns < op.start_ns) {
    return "\"end_ns\" (" + std::to_string(*op.end_ns) + ") is before \"start_ns\" (" +
           std::to_string(op.start_ns) + ")";
  }
  if (op.kind != OpKind::kPut && op.kind != OpKind::kCas && !op.value.empty()) {
    return std::string(op_kind_name(op.kind)) + " has no \"value\"";
  }
  if (op.kind != OpKind::kCas && op.expected) return "only cas has \"expected\"";
  if (op.kind != OpKind::kGet && op.read_value) {
    return std::string(op_kind_name(op.kind)) + " cannot return a value read";
  }
  if (op.kind != OpKind::kCas && op.cas_succeeded) {
    return std::string(op_kind_name(op.kind)) + " cannot return true/false";
  }
  if (!op.end_ns && (op.read_value || op.cas_succeeded)) {
    return "\"ret\" must be null when the outcome is unknown (\"end_ns\": null)";
  }
  if (op.kind == OpKind::kCas && op.end_ns && !op.cas_succeeded) {
    return "a cas that completed (\"end_ns\" set) must have \"ret\" true or false";
  }
  return std::nullopt;
}

namespace {

nlohmann::json optional_string(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

}  // namespace

std::string to_json_line(const Operation& op) {
  // ordered_json keeps the field order of the format, so histories stay easy to read.
  nlohmann::ordered_json j;
  j["client"] = op.client;
  j["op"] = op_kind_name(op.kind);
  j["key"] = op.key;
  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) j["value"] = op.value;
  if (op.kind == OpKind::kCas) j["expected"] = optional_string(op.expected);
  if (op.kind == OpKind::kGet) {
    j["ret"] = optional_string(op.read_value);
  } else if (op.kind == OpKind::kCas && op.cas_succeeded) {
    j["ret"] = *op.cas_succeeded;
  } else {
    j["ret"] = nullptr;
  }
  j["start_ns"] = op.start_ns;
  j["end_ns"] = op.end_ns ? nlohmann::ordered_json(*op.end_ns) : nlohmann::ordered_json(nullptr);
  // Invalid UTF-8 in a key or value is written as U+FFFD rather than throwing from a harness.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string describe_value(const std::optional<std::string>& value) {
  if (!value) return "absent";
  return nlohmann::json(*value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string describe_operation(const Operation& op) {
  std::string out;
  if (op.line != 0) out += "line " + std::to_string(op.line) + ": ";
  out += "client " + std::to_string(op.client) + " " + std::string(op_kind_name(op.kind)) + " " +
         describe_value(op.key);
  switch (op.kind) {
    case OpKind::kPut:
      out += " " + describe_value(op.value);
      break;
    case OpKind::kGet:
      if (op.end_ns) out += " = " + describe_value(op.read_value);
      break;
    case OpKind::kDelete:
      break;
    case OpKind::kCas:
      out += " " + describe_value(op.expected) + " -> " + describe_value(op.value);
      if (op.cas_succeeded) out += *op.cas_succeeded ? " = true" : " = false";
      break;
  }
  out += " [" + std::to_string(op.start_ns) + " ns, ";
  out += op.end_ns ? std::to_string(*op.end_ns) + " ns]" : "outcome unknown]";
  return out;
}

}  // namespace paxoskv::checker
