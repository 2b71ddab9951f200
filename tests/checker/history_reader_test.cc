// The history format: writing and reading back every kind, the exact line a harness produces,
// and an error naming the line for every kind of bad input.
#include "checker/history_reader.h"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <sstream>

#include "history_builder.h"

namespace paxoskv::checker {
namespace {

using namespace testing;  // NOLINT(build/namespaces)

Operation parse_ok(const std::string& text) {
  auto parsed = parse_operation_line(text, 1);
  if (auto* error = std::get_if<HistoryError>(&parsed)) {
    ADD_FAILURE() << text << " -> " << error->to_string();
    return {};
  }
  return std::get<Operation>(parsed);
}

TEST(HistoryFormat, WritesTheIssuesFieldsInOrder) {
  EXPECT_EQ(to_json_line(cas(3, "k1", "v0", "v1", true, 100, 250)),
            R"({"client":3,"op":"cas","key":"k1","value":"v1","expected":"v0","ret":true,)"
            R"("start_ns":100,"end_ns":250})");
  EXPECT_EQ(to_json_line(get(1, "k", kAbsentValue, 5, kUnknown)),
            R"({"client":1,"op":"get","key":"k","ret":null,"start_ns":5,"end_ns":null})");
  EXPECT_EQ(to_json_line(del(2, "k", 5, 6)),
            R"({"client":2,"op":"delete","key":"k","ret":null,"start_ns":5,"end_ns":6})");
}

TEST(HistoryFormat, EveryKindRoundTrips) {
  const std::vector<Operation> ops = {
      put(1, "k", "v", 0, 10),
      put(1, "k \"quoted\"\n", "v\tw", 0, kUnknown),
      get(2, "k", "v", 3, 4),
      get(2, "k", kAbsentValue, 3, 4),
      get(2, "k", kAbsentValue, 3, kUnknown),
      del(3, "k", 7, 9),
      del(3, "k", 7, kUnknown),
      cas(4, "k", "a", "b", true, 1, 2),
      cas(4, "k", kAbsentValue, "b", false, 1, 2),
      cas(4, "k", "", "b", std::nullopt, 1, kUnknown),
      put(9223372036854775807ULL, "", "", 9223372036854775807LL, 9223372036854775807LL),
  };
  for (Operation op : ops) {
    op.line = 1;
    EXPECT_EQ(parse_ok(to_json_line(op)), op) << to_json_line(op);
  }
}

TEST(HistoryFormat, EmptyStringExpectedIsNotAbsent) {
  EXPECT_EQ(parse_ok(R"({"client":1,"op":"cas","key":"k","value":"b","expected":"","ret":false,)"
                     R"("start_ns":1,"end_ns":2})")
                .expected,
            std::optional<std::string>(""));
}

TEST(HistoryFormat, OptionalAndUnknownFields) {
  // "ret" may be left out where it must be null; fields the format does not define are ignored.
  const Operation op = parse_ok(
      R"({"client":1,"op":"put","key":"k","value":"v","start_ns":1,"end_ns":null,"error":"timeout"})");
  EXPECT_EQ(op.kind, OpKind::kPut);
  EXPECT_FALSE(op.end_ns);
}

TEST(HistoryFormat, ReadsAStreamSkippingBlankLines) {
  std::istringstream in(to_json_line(put(1, "k", "v", 0, 10)) + "\n\n  \r\n" +
                        to_json_line(get(2, "k", "v", 20, 30)) + "\n");
  const auto read = read_history(in);
  ASSERT_FALSE(read.error) << read.error->to_string();
  ASSERT_EQ(read.operations.size(), 2u);
  EXPECT_EQ(read.operations[0].line, 1u);
  EXPECT_EQ(read.operations[1].line, 4u);
}

TEST(HistoryFormat, AnErrorNamesTheLineAndReturnsNoOperations) {
  std::istringstream in(to_json_line(put(1, "k", "v", 0, 10)) + "\n\n" +
                        R"({"client":1,"op":"put","key":"k","start_ns":1,"end_ns":2})" + "\n" +
                        to_json_line(get(2, "k", "v", 20, 30)) + "\n");
  const auto read = read_history(in);
  ASSERT_TRUE(read.error);
  EXPECT_EQ(read.error->line, 3u);
  EXPECT_EQ(read.error->to_string(), "line 3: missing field \"value\"");
  EXPECT_TRUE(read.operations.empty());
}

TEST(HistoryFormat, MissingFileIsAnError) {
  const auto read = read_history_file("/nonexistent/history.jsonl");
  ASSERT_TRUE(read.error);
  EXPECT_EQ(read.error->line, 0u);
  EXPECT_EQ(read.error->to_string(), "cannot open /nonexistent/history.jsonl");
}

struct BadLine {
  const char* text;
  const char* message;  // expected to appear in the error
};

// Names the case after its expected message in ctest's listing (letters and digits only).
void PrintTo(const BadLine& bad, std::ostream* os) {
  for (const char* c = bad.message; *c != '\0'; ++c) {
    *os << (std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_');
  }
}

class HistoryFormatRejects : public ::testing::TestWithParam<BadLine> {};

TEST_P(HistoryFormatRejects, WithAMessageNamingTheProblem) {
  auto parsed = parse_operation_line(GetParam().text, 7);
  ASSERT_TRUE(std::holds_alternative<HistoryError>(parsed)) << GetParam().text;
  const HistoryError& error = std::get<HistoryError>(parsed);
  EXPECT_EQ(error.line, 7u);
  EXPECT_NE(error.to_string().find(GetParam().message), std::string::npos)
      << "got: " << error.to_string();
  EXPECT_EQ(error.to_string().rfind("line 7: ", 0), 0u) << error.to_string();
}

#define OP_FIELDS R"("client":1,"key":"k","start_ns":5,)"
INSTANTIATE_TEST_SUITE_P(
    BadInput, HistoryFormatRejects,
    ::testing::Values(
        BadLine{R"({"client":1,"op":"put")", "not valid JSON (parse error"},
        BadLine{"", "not valid JSON"}, BadLine{R"([1,2])", "expected a JSON object, not array"},
        BadLine{R"({"op":"get","key":"k","start_ns":1,"end_ns":2})", "missing field \"client\""},
        BadLine{R"({"client":1,"key":"k","start_ns":1,"end_ns":2})", "missing field \"op\""},
        BadLine{R"({"client":1,"op":"get","start_ns":1,"end_ns":2})", "missing field \"key\""},
        BadLine{R"({"client":1,"op":"get","key":"k","end_ns":2})", "missing field \"start_ns\""},
        BadLine{R"({"client":1,"op":"get","key":"k","start_ns":1})", "missing field \"end_ns\""},
        BadLine{R"({)" OP_FIELDS R"("op":"scan","end_ns":6})", "unknown \"op\" \"scan\""},
        BadLine{R"({)" OP_FIELDS R"("op":3,"end_ns":6})", "\"op\" must be a string, not number"},
        BadLine{R"({"client":-1,"op":"get","key":"k","start_ns":1,"end_ns":2})",
                "\"client\" must not be negative"},
        BadLine{R"({"client":"x","op":"get","key":"k","start_ns":1,"end_ns":2})",
                "\"client\" must be an integer, not string"},
        BadLine{R"({"client":1,"op":"get","key":7,"start_ns":1,"end_ns":2})",
                "\"key\" must be a string, not number"},
        BadLine{R"({"client":1,"op":"get","key":"k","start_ns":1.5,"end_ns":2})",
                "\"start_ns\" must be an integer, not number"},
        BadLine{R"({"client":1,"op":"get","key":"k","start_ns":1,"end_ns":true})",
                "\"end_ns\" must be an integer, not boolean"},
        BadLine{R"({"client":1,"op":"get","key":"k","start_ns":18446744073709551615,"end_ns":2})",
                "\"start_ns\" is too large"},
        BadLine{R"({)" OP_FIELDS R"("op":"get","end_ns":4})",
                "\"end_ns\" (4) is before \"start_ns\" (5)"},
        BadLine{R"({)" OP_FIELDS R"("op":"put","end_ns":6})", "missing field \"value\""},
        BadLine{R"({)" OP_FIELDS R"("op":"put","value":null,"end_ns":6})",
                "\"value\" must be a string, not null"},
        BadLine{R"({)" OP_FIELDS R"("op":"get","value":"v","end_ns":6})", "get has no \"value\""},
        BadLine{R"({)" OP_FIELDS R"("op":"put","value":"v","expected":"a","end_ns":6})",
                "only cas has \"expected\""},
        BadLine{R"({)" OP_FIELDS R"("op":"cas","value":"v","ret":true,"end_ns":6})",
                "missing field \"expected\" (null means the key is absent)"},
        BadLine{R"({)" OP_FIELDS R"("op":"cas","value":"v","expected":1,"ret":true,"end_ns":6})",
                "\"expected\" must be a string, not number"},
        BadLine{R"({)" OP_FIELDS R"("op":"cas","value":"v","expected":"a","end_ns":6})",
                "must have \"ret\" true or false"},
        BadLine{R"({)" OP_FIELDS R"("op":"cas","value":"v","expected":"a","ret":"a","end_ns":6})",
                "\"ret\" of a cas must be true or false, not string"},
        BadLine{R"({)" OP_FIELDS R"("op":"get","ret":true,"end_ns":6})",
                "\"ret\" of a get must be a string or null, not boolean"},
        BadLine{R"({)" OP_FIELDS R"("op":"put","value":"v","ret":"v","end_ns":6})",
                "\"ret\" of a put must be null"},
        BadLine{R"({)" OP_FIELDS R"("op":"delete","ret":true,"end_ns":6})",
                "\"ret\" of a delete must be null"},
        BadLine{R"({)" OP_FIELDS R"("op":"get","ret":"v","end_ns":null})",
                "\"ret\" must be null when the outcome is unknown"},
        BadLine{R"({)" OP_FIELDS
                R"("op":"cas","value":"v","expected":"a","ret":false,"end_ns":null})",
                "\"ret\" must be null when the outcome is unknown"}));
#undef OP_FIELDS

}  // namespace
}  // namespace paxoskv::checker
