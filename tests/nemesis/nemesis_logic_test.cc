// The nemesis harness's own logic: the history format it writes, the lost-write check, the
// recovery figures, the fault schedule, and the wire form of fault requests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/codec.h"
#include "fault_schedule.h"
#include "history.h"

namespace paxoskv::nemesis {
namespace {

HistoryOp put(std::string key, std::string value, std::int64_t start,
              std::optional<std::int64_t> end) {
  HistoryOp op;
  op.kind = OpKind::kPut;
  op.key = std::move(key);
  op.value = std::move(value);
  op.start_ns = start;
  op.end_ns = end;
  return op;
}

using Finals = std::vector<std::pair<std::string, std::optional<std::string>>>;

TEST(HistoryFormat, LinesCarryTheIssueFields) {
  HistoryOp cas;
  cas.client = 3;
  cas.kind = OpKind::kCas;
  cas.key = "k1";
  cas.value = "v2";
  cas.expected = "v1";
  cas.cas_succeeded = true;
  cas.start_ns = 10;
  cas.end_ns = 20;
  const auto j = nlohmann::json::parse(to_json_line(cas));
  EXPECT_EQ(j["client"], 3);
  EXPECT_EQ(j["op"], "cas");
  EXPECT_EQ(j["key"], "k1");
  EXPECT_EQ(j["value"], "v2");
  EXPECT_EQ(j["expected"], "v1");
  EXPECT_EQ(j["ret"], true);
  EXPECT_EQ(j["start_ns"], 10);
  EXPECT_EQ(j["end_ns"], 20);

  HistoryOp absent_cas = cas;
  absent_cas.expected.reset();
  EXPECT_TRUE(nlohmann::json::parse(to_json_line(absent_cas))["expected"].is_null());

  HistoryOp get;
  get.kind = OpKind::kGet;
  get.key = "k1";
  get.start_ns = 5;
  get.end_ns = 6;  // absent
  const auto g = nlohmann::json::parse(to_json_line(get));
  EXPECT_TRUE(g["ret"].is_null());
  EXPECT_FALSE(g.contains("value"));
  get.read_value = "v1";
  EXPECT_EQ(nlohmann::json::parse(to_json_line(get))["ret"], "v1");
  // Unknown outcome: no end, no return value, whatever the client had recorded.
  get.end_ns.reset();
  const auto u = nlohmann::json::parse(to_json_line(get));
  EXPECT_TRUE(u["end_ns"].is_null());
  EXPECT_TRUE(u["ret"].is_null());
}

TEST(LostWrites, TheFinalValueOrALaterWriteIsFine) {
  const std::vector<HistoryOp> ops = {put("k", "a", 0, 10), put("k", "b", 20, 30)};
  EXPECT_TRUE(find_lost_writes(ops, Finals{{"k", "b"}}).empty());
  // "a" was overwritten by "b"; but "b" was the last write and is gone.
  const auto lost = find_lost_writes(ops, Finals{{"k", "a"}});
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_NE(lost[0].find("k=b"), std::string::npos) << lost[0];
  EXPECT_EQ(find_lost_writes(ops, Finals{{"k", std::nullopt}}).size(), 1u);
}

TEST(LostWrites, ConcurrentOrUnknownWritesMayComeAfter) {
  // "a" and "b" overlap, so either may be last.
  const std::vector<HistoryOp> overlapping = {put("k", "a", 0, 30), put("k", "b", 10, 20)};
  EXPECT_TRUE(find_lost_writes(overlapping, Finals{{"k", "a"}}).empty());
  EXPECT_TRUE(find_lost_writes(overlapping, Finals{{"k", "b"}}).empty());
  // An unknown write started before "b" may still have applied after it.
  const std::vector<HistoryOp> unknown = {put("k", "a", 0, std::nullopt), put("k", "b", 10, 20)};
  EXPECT_TRUE(find_lost_writes(unknown, Finals{{"k", "a"}}).empty());
  // A failed cas changes nothing, so it cannot excuse a lost write.
  HistoryOp failed_cas = put("k", "c", 40, 50);
  failed_cas.kind = OpKind::kCas;
  failed_cas.cas_succeeded = false;
  const std::vector<HistoryOp> with_cas = {put("k", "b", 10, 20), failed_cas};
  EXPECT_EQ(find_lost_writes(with_cas, Finals{{"k", std::nullopt}}).size(), 1u);
  // An acknowledged delete that came last must leave the key absent.
  HistoryOp del;
  del.kind = OpKind::kDelete;
  del.key = "k";
  del.start_ns = 30;
  del.end_ns = 40;
  const std::vector<HistoryOp> deleted = {put("k", "b", 10, 20), del};
  EXPECT_TRUE(find_lost_writes(deleted, Finals{{"k", std::nullopt}}).empty());
  EXPECT_EQ(find_lost_writes(deleted, Finals{{"k", "b"}}).size(), 1u);
}

TEST(Recovery, FirstAcknowledgedWriteAfterAHeal) {
  HistoryOp get;
  get.kind = OpKind::kGet;
  get.start_ns = 100;
  get.end_ns = 110;
  const std::vector<HistoryOp> ops = {put("k", "a", 0, 50), get, put("k", "b", 90, 130),
                                      put("k", "c", 95, std::nullopt), put("k", "d", 120, 125)};
  EXPECT_EQ(first_write_completed_after(ops, 100), 125);
  EXPECT_EQ(first_write_completed_after(ops, 200), std::nullopt);
  EXPECT_EQ(first_write_started_within(ops, 100, 200), 125);
  EXPECT_EQ(first_write_started_within(ops, 0, 40), std::nullopt);
}

TEST(Schedule, EveryRoundRunsEveryKindAndASeedReplays) {
  const auto a = draw_schedule(42, 3, ScheduleOptions{});
  ASSERT_EQ(a.size(), 3 * kFaultKinds);
  for (std::size_t round = 0; round < 3; ++round) {
    std::set<FaultKind> kinds;
    for (std::size_t i = 0; i < kFaultKinds; ++i) kinds.insert(a[round * kFaultKinds + i].kind);
    EXPECT_EQ(kinds.size(), kFaultKinds);
  }
  const auto b = draw_schedule(42, 3, ScheduleOptions{});
  const auto c = draw_schedule(43, 3, ScheduleOptions{});
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].hold, b[i].hold);
    EXPECT_EQ(a[i].pick, b[i].pick);
    differs |= a[i].kind != c[i].kind;
    const bool long_hold = a[i].kind == FaultKind::kLongIsolation;
    EXPECT_GE(a[i].hold, long_hold ? ScheduleOptions{}.long_hold_min : ScheduleOptions{}.hold_min);
    EXPECT_LE(a[i].hold, long_hold ? ScheduleOptions{}.long_hold_max : ScheduleOptions{}.hold_max);
  }
  EXPECT_TRUE(differs);
  for (std::size_t k = 0; k < kFaultKinds; ++k) {
    EXPECT_STRNE(fault_name(static_cast<FaultKind>(k)), "?");
  }
}

TEST(FaultWire, FaultRequestsRoundTripAndBadKindsAreRefused) {
  Request r;
  r.op = Op::kFault;
  r.fault = FaultCommand{FaultCommand::Kind::kSlowFsync, 2, FaultCommand::Direction::kIncoming, 75};
  Request back;
  std::string error;
  ASSERT_TRUE(decode(encode(r), back, &error)) << error;
  ASSERT_TRUE(back.fault.has_value());
  EXPECT_EQ(back.op, Op::kFault);
  EXPECT_EQ(back.fault->kind, FaultCommand::Kind::kSlowFsync);
  EXPECT_EQ(back.fault->peer, 2u);
  EXPECT_EQ(back.fault->direction, FaultCommand::Direction::kIncoming);
  EXPECT_EQ(back.fault->fsync_delay_ms, 75u);

  Request bad = r;
  bad.fault->kind = static_cast<FaultCommand::Kind>(5);
  EXPECT_FALSE(decode(encode(bad), back, &error));
  EXPECT_NE(error.find("fault"), std::string::npos) << error;
  bad = r;
  bad.fault->direction = static_cast<FaultCommand::Direction>(3);
  EXPECT_FALSE(decode(encode(bad), back, &error));
}

TEST(FaultWire, CommandsOfFormatOneStillDecode) {
  // A version-1 log entry: the version byte, then the Request fields before with_state_hash.
  Request r;
  r.client_id = 7;
  r.seq = 3;
  r.op = Op::kPut;
  r.key = "k";
  r.value = "v";
  const paxos::Entry v2 = encode_command(r);
  ASSERT_EQ(static_cast<std::uint8_t>(v2.at(0)), kCommandFormatVersion);
  // The two fields version 2 appended are encoded last: a bool and an absent optional's flag.
  paxos::Entry v1 = v2.substr(0, v2.size() - 2);
  v1[0] = 1;
  Request back;
  std::string error;
  ASSERT_TRUE(decode_command(v1, back, &error)) << error;
  EXPECT_EQ(back.client_id, 7u);
  EXPECT_EQ(back.key, "k");
  EXPECT_EQ(back.value, "v");
  EXPECT_FALSE(back.fault.has_value());
}

}  // namespace
}  // namespace paxoskv::nemesis
