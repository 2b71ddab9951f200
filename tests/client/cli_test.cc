// The `paxoskv` CLI: argument parsing, output formats and exit statuses, and one end-to-end run
// against the fake server.
#include "client/cli.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fake_server.h"

namespace paxoskv::cli {
namespace {

struct Parsed {
  ParseOutcome outcome;
  std::string out;
  std::string err;
};

Parsed parse(std::vector<const char*> args, const char* env = nullptr) {
  args.insert(args.begin(), "paxoskv");
  std::ostringstream out;
  std::ostringstream err;
  Parsed p{parse_args(static_cast<int>(args.size()), args.data(), env, out, err), "", ""};
  p.out = out.str();
  p.err = err.str();
  return p;
}

TEST(CliParse, PutWithGlobalOptionsBeforeAndAfterTheCommand) {
  auto p = parse({"--endpoints", "h1:1,h2:2", "put", "k", "v", "--prev-kv", "-w", "json",
                  "--timeout-ms", "250"});
  ASSERT_TRUE(p.outcome.args) << p.err;
  const CliArgs& a = *p.outcome.args;
  EXPECT_EQ(a.command, Command::kPut);
  EXPECT_EQ(a.key, "k");
  EXPECT_EQ(a.value, "v");
  EXPECT_TRUE(a.prev_kv);
  EXPECT_EQ(a.format, OutputFormat::kJson);
  EXPECT_EQ(a.timeout_ms, 250u);
  EXPECT_EQ(a.endpoints, (std::vector<std::string>{"h1:1", "h2:2"}));
  const Request r = build_request(a);
  EXPECT_EQ(r.op, Op::kPut);
  EXPECT_TRUE(r.prev_kv);
}

TEST(CliParse, EndpointsFlagBeatsEnvironmentBeatsDefault) {
  auto d = parse({"get", "k"});
  ASSERT_TRUE(d.outcome.args);
  EXPECT_EQ(d.outcome.args->endpoints.size(), 3u);
  EXPECT_EQ(d.outcome.args->endpoints[0], "127.0.0.1:7101");
  auto e = parse({"get", "k"}, "10.1.1.1:9");
  ASSERT_TRUE(e.outcome.args);
  EXPECT_EQ(e.outcome.args->endpoints, std::vector<std::string>{"10.1.1.1:9"});
  auto f = parse({"--endpoints", "[::1]:7", "get", "k"}, "10.1.1.1:9");
  ASSERT_TRUE(f.outcome.args);
  EXPECT_EQ(f.outcome.args->endpoints, std::vector<std::string>{"[::1]:7"});
}

TEST(CliParse, UsageErrorsExitTwoWithOneLine) {
  for (const auto& args : std::vector<std::vector<const char*>>{
           {},                                                           // no command
           {"frobnicate"},                                               // unknown command
           {"get"},                                                      // missing KEY
           {"cas", "k", "v"},                                            // no expectation
           {"cas", "k", "v", "--expect-absent", "--expect-value", "x"},  // two expectations
           {"cas", "k", "v", "--expect-version", "abc"},                 // not a number
           {"del", "k", "--prefix", "--range-end", "z"},                 // exclusive
           {"-w", "yaml", "get", "k"},                                   // bad format
           {"--endpoints", "nohost", "get", "k"},                        // bad endpoint
       }) {
    auto p = parse(args);
    EXPECT_FALSE(p.outcome.args);
    EXPECT_EQ(p.outcome.exit_code, kExitUsage);
    EXPECT_EQ(p.err.rfind("paxoskv: error: ", 0), 0u) << p.err;
    EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 1) << p.err;
  }
}

TEST(CliParse, HelpExitsZero) {
  auto p = parse({"--help"});
  EXPECT_FALSE(p.outcome.args);
  EXPECT_EQ(p.outcome.exit_code, kExitOk);
  EXPECT_NE(p.out.find("scan"), std::string::npos);
}

TEST(CliParse, RequestsForEachCommand) {
  auto del = parse({"del", "dir/", "--prefix"});
  ASSERT_TRUE(del.outcome.args);
  Request r = build_request(*del.outcome.args);
  EXPECT_EQ(r.op, Op::kDeleteRange);
  EXPECT_EQ(r.range_end, "dir0");

  auto del_range = parse({"del", "a", "--range-end", "c"});
  ASSERT_TRUE(del_range.outcome.args);
  r = build_request(*del_range.outcome.args);
  EXPECT_EQ(r.op, Op::kDeleteRange);
  EXPECT_EQ(r.range_end, "c");

  auto del_one = parse({"del", "a"});
  ASSERT_TRUE(del_one.outcome.args);
  EXPECT_EQ(build_request(*del_one.outcome.args).op, Op::kDelete);

  auto cas = parse({"cas", "k", "new", "--expect-mod-revision", "42"});
  ASSERT_TRUE(cas.outcome.args);
  r = build_request(*cas.outcome.args);
  EXPECT_EQ(r.op, Op::kCas);
  EXPECT_EQ(r.value, "new");
  EXPECT_EQ(r.compare.target, Compare::Target::kModRevision);
  EXPECT_EQ(r.compare.number, 42);

  auto absent = parse({"cas", "k", "new", "--expect-absent"});
  ASSERT_TRUE(absent.outcome.args);
  r = build_request(*absent.outcome.args);
  EXPECT_EQ(r.compare.target, Compare::Target::kVersion);
  EXPECT_EQ(r.compare.number, 0);

  auto scan = parse({"scan", "p", "--limit", "10"});
  ASSERT_TRUE(scan.outcome.args);
  r = build_request(*scan.outcome.args);
  EXPECT_EQ(r.op, Op::kRange);
  EXPECT_EQ(r.key, "p");
  EXPECT_EQ(r.range_end, "q");
  EXPECT_EQ(r.limit, 10u);

  auto get = parse({"get", "k", "--serializable"});
  ASSERT_TRUE(get.outcome.args);
  EXPECT_TRUE(build_request(*get.outcome.args).serializable);
}

struct Rendered {
  int code;
  std::string out;
  std::string err;
};

Rendered render(std::vector<const char*> args, const Response& r) {
  auto p = parse(std::move(args));
  EXPECT_TRUE(p.outcome.args) << p.err;
  std::ostringstream out;
  std::ostringstream err;
  const int code = render_response(*p.outcome.args, r, out, err);
  return {code, out.str(), err.str()};
}

Response ok_with(std::vector<KeyValue> kvs) {
  Response r;
  r.kvs = std::move(kvs);
  r.revision = 9;
  return r;
}

TEST(CliFormat, SimpleOutputs) {
  auto got = render({"get", "k"}, ok_with({{"k", "v1", 1, 2, 3}}));
  EXPECT_EQ(got.code, kExitOk);
  EXPECT_EQ(got.out, "v1\n");

  Response missing;
  missing.status = Status::kNotFound;
  got = render({"get", "k"}, missing);
  EXPECT_EQ(got.code, kExitNo);
  EXPECT_EQ(got.out, "");
  EXPECT_EQ(got.err, "");

  got = render({"scan", "k"}, ok_with({{"k1", "a", 1, 1, 1}, {"k2", "b", 1, 1, 1}}));
  EXPECT_EQ(got.out, "k1\na\nk2\nb\n");

  got = render({"put", "k", "v"}, ok_with({}));
  EXPECT_EQ(got.out, "OK\n");

  Response cas_ok = ok_with({});
  cas_ok.succeeded = true;
  got = render({"cas", "k", "v", "--expect-absent"}, cas_ok);
  EXPECT_EQ(got.code, kExitOk);
  EXPECT_EQ(got.out, "OK\n");
  Response cas_no;
  cas_no.status = Status::kCompareFailed;
  got = render({"cas", "k", "v", "--expect-absent"}, cas_no);
  EXPECT_EQ(got.code, kExitNo);
  EXPECT_EQ(got.out, "compare failed\n");

  Response deleted = ok_with({});
  deleted.deleted = 2;
  got = render({"del", "k", "--prefix"}, deleted);
  EXPECT_EQ(got.out, "2\n");
}

TEST(CliFormat, FailureIsOneStderrLineAndExitThree) {
  Response timeout;
  timeout.status = Status::kTimeout;
  timeout.error = "the outcome is unknown";
  auto got = render({"put", "k", "v"}, timeout);
  EXPECT_EQ(got.code, kExitFailure);
  EXPECT_EQ(got.out, "");
  EXPECT_EQ(got.err, std::string("paxoskv: error: ") + status_name(Status::kTimeout) +
                         ": the outcome is unknown\n");
}

TEST(CliFormat, JsonCarriesResponseFields) {
  auto got = render({"-w", "json", "get", "k"}, ok_with({{"k", "v\xff", 1, 2, 3}}));
  EXPECT_EQ(got.code, kExitOk);
  auto j = nlohmann::json::parse(got.out);
  EXPECT_EQ(j["status"], status_name(Status::kOk));
  EXPECT_EQ(j["revision"], 9);
  ASSERT_EQ(j["kvs"].size(), 1u);
  EXPECT_EQ(j["kvs"][0]["key"], "k");
  EXPECT_EQ(j["kvs"][0]["mod_revision"], 2);
  EXPECT_TRUE(j["prev_kv"].is_null());
}

TEST(CliFormat, TableAlignsColumns) {
  auto got =
      render({"-w", "table", "scan", ""}, ok_with({{"a", "1", 1, 1, 1}, {"bbb", "22", 2, 2, 1}}));
  EXPECT_EQ(got.code, kExitOk);
  std::istringstream lines(got.out);
  std::string line;
  std::size_t width = 0;
  int count = 0;
  while (std::getline(lines, line)) {
    if (width == 0) width = line.size();
    EXPECT_EQ(line.size(), width) << line;
    ++count;
  }
  EXPECT_EQ(count, 6);  // rule, header, rule, 2 rows, rule
  EXPECT_NE(got.out.find("| bbb "), std::string::npos);
}

TEST(CliFormat, StatusShowsUnreachableEndpointsAndFailsOnlyIfNoneAnswered) {
  auto p = parse({"--endpoints", "a:1,b:2", "-w", "table", "status"});
  ASSERT_TRUE(p.outcome.args);
  Response up;
  up.node = NodeStatus{};
  up.node->node_id = 1;
  up.node->role = "leader";
  up.node->connected_peers = {2, 3};
  Response down;
  down.status = Status::kUnavailable;
  down.error = "connect: Connection refused";
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(render_status(*p.outcome.args, {up, down}, out, err), kExitOk);
  EXPECT_NE(out.str().find("ENDPOINT"), std::string::npos);
  EXPECT_NE(out.str().find("[2,3]"), std::string::npos);
  EXPECT_NE(out.str().find("Connection refused"), std::string::npos);

  auto s = parse({"--endpoints", "a:1,b:2", "status"});
  ASSERT_TRUE(s.outcome.args);
  std::ostringstream out2;
  std::ostringstream err2;
  EXPECT_EQ(render_status(*s.outcome.args, {down, down}, out2, err2), kExitFailure);
  const std::string lines = out2.str();  // one line per endpoint, errors included
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2);
  EXPECT_EQ(err2.str().rfind("paxoskv: error: ", 0), 0u);
}

TEST(CliRun, EndToEndAgainstFakeServer) {
  asio::io_context server_io;
  client::testing::FakeServer server(server_io);
  server.set_handler([](const std::shared_ptr<client::testing::FakeConn>& conn, const Request& r) {
    Response resp = client::testing::ok_for(r);
    if (r.op == Op::kGet && r.key == "k") resp.kvs.push_back(KeyValue{"k", "v", 1, 1, 1});
    if (r.op == Op::kGet && r.key != "k") resp.status = Status::kNotFound;
    conn->reply(resp);
  });
  auto guard = asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });
  const std::string endpoints = server.address();
  auto invoke = [&](std::vector<const char*> args) {
    args.insert(args.begin(), {"paxoskv", "--endpoints", endpoints.c_str()});
    std::ostringstream out;
    std::ostringstream err;
    const int code = run(static_cast<int>(args.size()), args.data(), nullptr, out, err);
    return Rendered{code, out.str(), err.str()};
  };
  auto put = invoke({"put", "k", "v"});
  EXPECT_EQ(put.code, kExitOk);
  EXPECT_EQ(put.out, "OK\n");
  auto get = invoke({"get", "k"});
  EXPECT_EQ(get.code, kExitOk);
  EXPECT_EQ(get.out, "v\n");
  auto missing = invoke({"get", "nope"});
  EXPECT_EQ(missing.code, kExitNo);
  EXPECT_EQ(missing.out, "");
  guard.reset();
  server_io.stop();
  server_thread.join();
}

}  // namespace
}  // namespace paxoskv::cli
