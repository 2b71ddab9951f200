// Config::validate reports every problem, each as a sentence, and all of them at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_helpers.h"

namespace paxoskv::paxos {
namespace {

using testing::make_config;

// True when some problem mentions `needle`.
bool mentions(const std::vector<std::string>& problems, const std::string& needle) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(needle) != std::string::npos; });
}

TEST(ConfigValidate, AValidConfigHasNoProblems) {
  EXPECT_TRUE(make_config(1, {1, 2, 3}).validate().empty());
  EXPECT_TRUE(make_config(42, {7, 42, 1000}).validate().empty());
  EXPECT_TRUE(make_config(5, {5}).validate().empty());
  EXPECT_TRUE((Config{NodeId(1), {NodeId(1)}}.validate().empty())) << "defaults are valid";
}

struct BadCase {
  const char* name;
  void (*mutate)(Config&);
  const char* mentions;
};

class ConfigValidateReports : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigValidateReports, ExactlyThisOneProblem) {
  Config c = make_config(1, {1, 2, 3});
  GetParam().mutate(c);
  auto problems = c.validate();
  ASSERT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
  EXPECT_TRUE(mentions(problems, GetParam().mentions)) << problems[0];
}

INSTANTIATE_TEST_SUITE_P(
    EveryErrorPath, ConfigValidateReports,
    ::testing::Values(
        BadCase{"NodeIdZero", [](Config& c) { c.node_id = kNoNode; }, "node_id must be non-zero"},
        BadCase{"NodesContainZero", [](Config& c) { c.nodes.push_back(kNoNode); }, "node id 0"},
        BadCase{"DuplicateNodes", [](Config& c) { c.nodes.push_back(NodeId(2)); }, "duplicate"},
        BadCase{"NodeIdNotAMember", [](Config& c) { c.node_id = NodeId(9); },
                "must include node_id 9"},
        BadCase{"ConfigIdZero", [](Config& c) { c.config_id = ConfigId(0); }, "config_id"},
        BadCase{"ReadQuorumTooLarge", [](Config& c) { c.read_quorum_size = 4; },
                "read_quorum_size 4"},
        BadCase{"WriteQuorumTooLarge",
                [](Config& c) {
                  c.write_quorum_size = 5;
                  c.read_quorum_size = 3;
                },
                "write_quorum_size 5"},
        BadCase{"QuorumsDoNotIntersect",
                [](Config& c) {
                  c.read_quorum_size = 1;
                  c.write_quorum_size = 2;
                },
                "must exceed the cluster size"},
        BadCase{"DefaultedWriteQuorumDoesNotIntersect",
                [](Config& c) {
                  c.nodes.push_back(NodeId(4));
                  c.read_quorum_size = 1;  // write defaults to the majority, 3: 1 + 3 <= 4
                },
                "must exceed"},
        BadCase{"ElectionTimeoutTooShort", [](Config& c) { c.election_timeout_ticks = 1; },
                "election_timeout_ticks"},
        BadCase{"ResendTimeoutZero", [](Config& c) { c.resend_timeout_ticks = 0; },
                "resend_timeout_ticks"},
        BadCase{"BatchEntriesZero",
                [](Config& c) {
                  c.batch_entries_max = 0;
                },
                "batch_entries_max must be at least 1"},
        BadCase{"BatchBytesZero", [](Config& c) { c.batch_bytes_max = 0; }, "batch_bytes_max"},
        BadCase{"PipelineSmallerThanBatch",
                [](Config& c) {
                  c.batch_entries_max = 10;
                  c.pipeline_entries_max = 9;
                },
                "pipeline_entries_max"},
        BadCase{"ProposalBufferZero", [](Config& c) { c.proposal_buffer_entries_max = 0; },
                "proposal_buffer_entries_max"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(ConfigValidate, EmptyNodeListIsReportedWithoutQuorumNoise) {
  Config c = make_config(1, {});
  c.read_quorum_size = 2;
  auto problems = c.validate();
  EXPECT_TRUE(mentions(problems, "at least this node"));
  EXPECT_TRUE(mentions(problems, "must include node_id 1"));
  EXPECT_EQ(problems.size(), 2u) << ::testing::PrintToString(problems);
}

TEST(ConfigValidate, ReportsSeveralProblemsAtOnce) {
  Config c = make_config(1, {1, 2, 2, 0});
  c.node_id = NodeId(8);
  c.config_id = ConfigId(0);
  c.read_quorum_size = 9;
  c.election_timeout_ticks = 0;
  c.resend_timeout_ticks = 0;
  c.batch_entries_max = 0;
  c.batch_bytes_max = 0;
  c.proposal_buffer_entries_max = 0;
  auto problems = c.validate();
  for (const char* needle :
       {"node id 0", "duplicate", "must include node_id 8", "config_id", "read_quorum_size 9",
        "election_timeout_ticks", "resend_timeout_ticks", "batch_entries_max must be at least 1",
        "batch_bytes_max", "proposal_buffer_entries_max"}) {
    EXPECT_TRUE(mentions(problems, needle)) << needle;
  }
  EXPECT_GE(problems.size(), 10u) << ::testing::PrintToString(problems);
}

TEST(ConfigValidate, ZeroQuorumSizesMeanMajority) {
  Config c = make_config(1, {1, 2, 3, 4, 5});
  ASSERT_TRUE(c.validate().empty());
  Quorum q = c.quorum();
  EXPECT_EQ(q.read_quorum_size(), 3u);
  EXPECT_EQ(q.write_quorum_size(), 3u);
}

TEST(ConfigValidate, FlexibleQuorumsAreHonouredAndOneSideDefaultsToMajority) {
  Config c = make_config(1, {1, 2, 3, 4, 5});
  c.read_quorum_size = 4;
  c.write_quorum_size = 2;
  ASSERT_TRUE(c.validate().empty());
  EXPECT_EQ(c.quorum().read_quorum_size(), 4u);
  EXPECT_EQ(c.quorum().write_quorum_size(), 2u);

  c.write_quorum_size = 0;  // majority, 3
  ASSERT_TRUE(c.validate().empty());
  EXPECT_EQ(c.quorum().write_quorum_size(), 3u);
}

}  // namespace
}  // namespace paxoskv::paxos
