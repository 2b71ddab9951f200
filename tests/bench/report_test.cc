// The summary JSON has the shared schema; CSV rows carry Unix-epoch microseconds.
#include "client/bench/report.h"

#include <gtest/gtest.h>

#include <sstream>

namespace paxoskv::bench {
namespace {

constexpr std::int64_t kMs = 1'000'000;

IntervalResult closed_result() {
  IntervalResult r;
  r.spec.name = "w";
  r.spec.mode = LoopMode::kClosed;
  r.spec.in_flight = 4;
  r.spec.duration_s = 2;
  r.elapsed_s = 2;
  for (int i = 1; i <= 100; ++i) {
    r.stats.record(OpKind::kPut, Outcome::kOk, {0, 0, i * kMs}, false);
  }
  r.stats.record(OpKind::kPut, Outcome::kTimeout, {0, 0, 5000 * kMs}, false);
  r.stats.record(OpKind::kCas, Outcome::kOk, {0, 0, kMs}, true);
  return r;
}

TEST(SummaryJson, HasTheSharedSchema) {
  Workload w = default_workload();
  w.endpoints = {"127.0.0.1:1"};
  IntervalResult open;
  open.spec.name = "o";
  open.spec.mode = LoopMode::kOpen;
  open.spec.rate_per_s = 100;
  open.elapsed_s = 1;
  const auto j = summary_json(w, nlohmann::ordered_json::object(), {closed_result(), open});
  EXPECT_EQ(j["system"], "paxoskv");
  EXPECT_EQ(j["generator"], "paxoskv bench");
  for (const char* key :
       {"keys", "distribution", "key_size", "value_size", "connections", "warmup_s", "endpoints"}) {
    EXPECT_TRUE(j["workload"].contains(key)) << key;
  }
  EXPECT_TRUE(j.contains("cluster"));
  const auto& c = j["intervals"][0];
  EXPECT_EQ(c["mode"], "closed");
  EXPECT_EQ(c["in_flight"], 4);
  EXPECT_TRUE(c["rate_per_s"].is_null());
  EXPECT_EQ(j["intervals"][1]["rate_per_s"], 100.0);
  EXPECT_TRUE(j["intervals"][1]["in_flight"].is_null());
  EXPECT_TRUE(c["ops"].contains("put"));
  EXPECT_TRUE(c["ops"].contains("cas"));
  EXPECT_FALSE(c["ops"].contains("get"));  // only kinds that occurred
  const auto& put = c["ops"]["put"];
  EXPECT_EQ(put["count"], 101);
  EXPECT_EQ(put["ok"], 100);
  EXPECT_EQ(put["errors"], 0);
  EXPECT_EQ(put["timeouts"], 1);
  EXPECT_DOUBLE_EQ(put["throughput_per_s"].get<double>(), 50.0);
  EXPECT_NEAR(put["p50_us"].get<double>(), 50'000.0, 50'000.0 * Histogram::kMaxRelativeError);
  EXPECT_DOUBLE_EQ(put["max_us"].get<double>(), 100'000.0);
  for (const char* key : {"mean_us", "p90_us", "p99_us", "p999_us"}) {
    EXPECT_TRUE(put.contains(key)) << key;
  }
  EXPECT_EQ(c["total"]["count"], 102);
}

TEST(ClusterJson, LeaderByTheAnswersAndErrorsPerEndpoint) {
  std::vector<Response> before(3);
  for (int i = 0; i < 2; ++i) {
    before[i].node = NodeStatus{};
    before[i].node->node_id = static_cast<std::uint64_t>(i + 1);
    before[i].node->leader_id = 2;
    before[i].node->client_address = "a" + std::to_string(i + 1);
  }
  before[2].status = Status::kUnavailable;
  before[2].error = "connect: refused";
  const auto j = cluster_json({"e1", "e2", "e3"}, before, {});
  EXPECT_EQ(j["leader_id"], 2);
  EXPECT_EQ(j["leader_client_address"], "a2");
  EXPECT_EQ(j["nodes"][0]["node_id"], 1);
  EXPECT_EQ(j["nodes"][2]["error"], "UNAVAILABLE: connect: refused");
  EXPECT_FALSE(j.contains("nodes_after"));
}

TEST(Csv, RowsAreEpochMicroseconds) {
  std::string out;
  RequestRecord r{7, OpKind::kGet, Outcome::kTimeout, {1'000, 2'500'000, 3'000'999}};
  write_csv_row(out, r, 1'700'000'000'000'000'000);
  EXPECT_EQ(out, "7,get,1700000000000001,1700000000002500,1700000000003000,timeout\n");
  EXPECT_STREQ(kCsvHeader, "id,type,due_us,sent_us,received_us,status");
}

TEST(SummaryTable, PrintsEveryKindAndNotes) {
  std::ostringstream out;
  print_summary_table(out, {closed_result()});
  const std::string s = out.str();
  EXPECT_NE(s.find("INTERVAL"), std::string::npos);
  EXPECT_NE(s.find("put"), std::string::npos);
  EXPECT_NE(s.find("total"), std::string::npos);
  EXPECT_NE(s.find("compare failed"), std::string::npos);
}

}  // namespace
}  // namespace paxoskv::bench
