// Unit tests of KvStore, one op and one revision/version rule at a time. Named after the rule
// they check, as etcd states it.
#include <gtest/gtest.h>

#include "kv_test_util.h"

namespace paxoskv {
namespace {

using namespace kv_test;  // NOLINT(build/namespaces)
const std::string kZero(1, '\0');

TEST(KvStore, EmptyStoreHasRevisionZeroAndNothingApplied) {
  KvStore store;
  EXPECT_EQ(store.revision(), 0);
  EXPECT_EQ(store.applied_index(), 0u);
  EXPECT_EQ(store.key_count(), 0u);
  const Response r = store.read(get("a"));
  EXPECT_EQ(r.status, Status::kNotFound);
  EXPECT_EQ(r.revision, 0);
}

TEST(KvStore, PutCreatesKeyAtNextRevisionWithVersionOne) {
  KvStore store;
  const Response r = store.apply(0, put("a", "1"));
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.revision, 1);
  EXPECT_FALSE(r.prev_kv);
  EXPECT_EQ(store.applied_index(), 1u);
  const Response g = store.read(get("a"));
  ASSERT_EQ(g.status, Status::kOk);
  EXPECT_EQ(g.kvs, std::vector<KeyValue>{kv("a", "1", 1, 1, 1)});
  EXPECT_EQ(g.revision, 1);
}

TEST(KvStore, PutOverwriteBumpsVersionAndModRevisionKeepsCreateRevision) {
  KvStore store;
  apply_next(store, put("a", "1"));
  apply_next(store, put("b", "x"));
  const Response r = apply_next(store, put("a", "2"));
  EXPECT_EQ(r.revision, 3);
  EXPECT_EQ(store.read(get("a")).kvs, std::vector<KeyValue>{kv("a", "2", 1, 3, 2)});
  EXPECT_EQ(store.read(get("b")).kvs, std::vector<KeyValue>{kv("b", "x", 2, 2, 1)});
}

TEST(KvStore, PutOfSameValueIsStillAWrite) {
  KvStore store;
  apply_next(store, put("a", "1"));
  EXPECT_EQ(apply_next(store, put("a", "1")).revision, 2);
  EXPECT_EQ(store.read(get("a")).kvs[0].version, 2);
}

TEST(KvStore, PutReturnsPrevKvOnlyWhenAskedAndPresent) {
  KvStore store;
  EXPECT_FALSE(apply_next(store, put("a", "1", true)).prev_kv);
  EXPECT_FALSE(apply_next(store, put("a", "2")).prev_kv);
  const Response r = apply_next(store, put("a", "3", true));
  ASSERT_TRUE(r.prev_kv);
  EXPECT_EQ(*r.prev_kv, kv("a", "2", 1, 2, 2));
}

TEST(KvStore, DeleteRemovesKeyAndBumpsRevision) {
  KvStore store;
  apply_next(store, put("a", "1"));
  const Response r = apply_next(store, del("a", true));
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.deleted, 1u);
  EXPECT_EQ(r.revision, 2);
  ASSERT_TRUE(r.prev_kv);
  EXPECT_EQ(*r.prev_kv, kv("a", "1", 1, 1, 1));
  EXPECT_EQ(store.read(get("a")).status, Status::kNotFound);
}

TEST(KvStore, DeleteOfAbsentKeyChangesNothing) {
  KvStore store;
  apply_next(store, put("a", "1"));
  const Response r = apply_next(store, del("b", true));
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.deleted, 0u);
  EXPECT_EQ(r.revision, 1);
  EXPECT_FALSE(r.prev_kv);
  EXPECT_EQ(store.revision(), 1);
}

TEST(KvStore, RecreatedKeyStartsAFreshLife) {
  KvStore store;
  apply_next(store, put("a", "1"));
  apply_next(store, put("a", "2"));
  apply_next(store, del("a"));
  apply_next(store, put("a", "3"));
  EXPECT_EQ(store.read(get("a")).kvs, std::vector<KeyValue>{kv("a", "3", 4, 4, 1)});
}

class KvStoreRanges : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* key : {"a", "b", "b/1", "b/2", "c", "d"}) apply_next(store, put(key, key));
  }
  std::vector<std::string> keys(const Response& r) {
    std::vector<std::string> out;
    for (const KeyValue& k : r.kvs) out.push_back(k.key);
    return out;
  }
  KvStore store;
  using V = std::vector<std::string>;
};

TEST_F(KvStoreRanges, DeleteRangeRemovesHalfOpenIntervalInOneRevision) {
  const Response r = apply_next(store, del_range("b", "c"));
  EXPECT_EQ(r.deleted, 3u);
  EXPECT_EQ(r.revision, 7);
  EXPECT_TRUE(r.kvs.empty());  // prev_kv not asked
  EXPECT_EQ(keys(store.read(all_keys())), (V{"a", "c", "d"}));
}

TEST_F(KvStoreRanges, DeleteRangeReturnsRemovedPairsWhenAskedForPrevKv) {
  const Response r = apply_next(store, del_range("b/", prefix_end("b/"), true));
  EXPECT_EQ(r.deleted, 2u);
  EXPECT_EQ(r.kvs, (std::vector<KeyValue>{kv("b/1", "b/1", 3, 3, 1), kv("b/2", "b/2", 4, 4, 1)}));
}

TEST_F(KvStoreRanges, DeleteRangeWithZeroEndRemovesEveryKeyFromKey) {
  EXPECT_EQ(apply_next(store, del_range("b/2", kZero)).deleted, 3u);
  EXPECT_EQ(keys(store.read(all_keys())), (V{"a", "b", "b/1"}));
}

TEST_F(KvStoreRanges, DeleteRangeWithEmptyEndRemovesJustKey) {
  EXPECT_EQ(apply_next(store, del_range("b", "")).deleted, 1u);
  EXPECT_EQ(keys(store.read(all_keys())), (V{"a", "b/1", "b/2", "c", "d"}));
}

TEST_F(KvStoreRanges, DeleteRangeThatRemovesNothingKeepsRevision) {
  for (const Request& req : {del_range("x", "z"), del_range("b", "b"), del_range("zz", kZero)}) {
    const Response r = apply_next(store, req);
    EXPECT_EQ(r.status, Status::kOk);
    EXPECT_EQ(r.deleted, 0u);
    EXPECT_EQ(r.revision, 6);
  }
  EXPECT_EQ(store.key_count(), 6u);
}

TEST_F(KvStoreRanges, RangeReturnsKeysInOrder) {
  EXPECT_EQ(keys(store.read(range("b", "d"))), (V{"b", "b/1", "b/2", "c"}));
  EXPECT_EQ(keys(store.read(range("b/", prefix_end("b/")))), (V{"b/1", "b/2"}));
  EXPECT_EQ(keys(store.read(range("c", kZero))), (V{"c", "d"}));
  EXPECT_EQ(keys(store.read(all_keys())), (V{"a", "b", "b/1", "b/2", "c", "d"}));
  EXPECT_EQ(keys(store.read(range("b", ""))), (V{"b"}));
  EXPECT_EQ(store.read(range("b", "")).kvs[0], kv("b", "b", 2, 2, 1));
}

TEST_F(KvStoreRanges, RangeOfNothingIsOkAndEmpty) {
  for (const Request& req : {range("x", ""), range("x", "z"), range("c", "c")}) {
    const Response r = store.read(req);
    EXPECT_EQ(r.status, Status::kOk);
    EXPECT_TRUE(r.kvs.empty());
    EXPECT_FALSE(r.more);
    EXPECT_EQ(r.revision, 6);
  }
}

TEST_F(KvStoreRanges, RangeLimitSetsMoreOnlyWhenKeysRemain) {
  Response r = store.read(range("a", kZero, 2));
  EXPECT_EQ(keys(r), (V{"a", "b"}));
  EXPECT_TRUE(r.more);
  r = store.read(range("c", kZero, 2));
  EXPECT_EQ(keys(r), (V{"c", "d"}));
  EXPECT_FALSE(r.more);
  r = store.read(range("c", kZero, 3));
  EXPECT_FALSE(r.more);
  r = store.read(range("b", "c", 0));
  EXPECT_EQ(r.kvs.size(), 3u);
  EXPECT_FALSE(r.more);
}

TEST(KvStoreCas, ValueCompareHoldsOnlyOnEqualValue) {
  KvStore store;
  apply_next(store, put("a", "1"));
  Response r = apply_next(store, cas_value("a", "2", "x"));
  EXPECT_EQ(r.status, Status::kCompareFailed);
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(r.revision, 1);
  r = apply_next(store, cas_value("a", "1", "x"));
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(r.succeeded);
  EXPECT_EQ(r.revision, 2);
  EXPECT_EQ(store.read(get("a")).kvs[0], kv("a", "x", 1, 2, 2));
}

TEST(KvStoreCas, ValueCompareFailsOnAbsentKeyEvenForEmptyValue) {
  KvStore store;
  const Response r = apply_next(store, cas_value("a", "", "x"));
  EXPECT_EQ(r.status, Status::kCompareFailed);
  EXPECT_EQ(store.key_count(), 0u);
  EXPECT_EQ(store.revision(), 0);
}

TEST(KvStoreCas, NumberTargetsCompareByEquality) {
  using T = Compare::Target;
  KvStore store;
  apply_next(store, put("other", "o"));  // revision 1, so a's revisions differ from its version
  apply_next(store, put("a", "1"));      // a: create 2, mod 2, version 1
  apply_next(store, put("a", "2"));      // a: create 2, mod 3, version 2
  struct Case {
    T target;
    std::int64_t wrong;
    std::int64_t right;
  };
  for (const Case& c :
       {Case{T::kVersion, 3, 2}, Case{T::kModRevision, 2, 3}, Case{T::kCreateRevision, 3, 2}}) {
    KvStore copy;
    ASSERT_TRUE(copy.restore(store.snapshot()));
    const Response no = apply_next(copy, cas_number("a", c.target, c.wrong, "x"));
    EXPECT_EQ(no.status, Status::kCompareFailed);
    EXPECT_NE(copy.state_hash(), store.state_hash());  // applied_index moved
    EXPECT_EQ(contents(copy), contents(store));
    const Response yes = apply_next(copy, cas_number("a", c.target, c.right, "x"));
    EXPECT_TRUE(yes.succeeded);
    EXPECT_EQ(yes.revision, 4);
    EXPECT_EQ(copy.read(get("a")).kvs[0], kv("a", "x", 2, 4, 3));
  }
}

TEST(KvStoreCas, AbsentKeyHasVersionAndRevisionsZero) {
  using T = Compare::Target;
  for (T target : {T::kVersion, T::kModRevision, T::kCreateRevision}) {
    KvStore store;
    EXPECT_EQ(apply_next(store, cas_number("a", target, 1, "x")).status, Status::kCompareFailed);
    const Response r = apply_next(store, cas_number("a", target, 0, "x"));
    EXPECT_TRUE(r.succeeded);
    EXPECT_EQ(store.read(get("a")).kvs[0], kv("a", "x", 1, 1, 1));
    // Now present, so "absent" (0) no longer holds: create-if-absent is exactly-once.
    EXPECT_EQ(apply_next(store, cas_number("a", target, 0, "y")).status, Status::kCompareFailed);
  }
}

TEST(KvStoreCas, SuccessReturnsPrevKvWhenAsked) {
  KvStore store;
  apply_next(store, put("a", "1"));
  Request req = cas_value("a", "1", "2");
  req.prev_kv = true;
  const Response r = apply_next(store, req);
  ASSERT_TRUE(r.prev_kv);
  EXPECT_EQ(*r.prev_kv, kv("a", "1", 1, 1, 1));
}

TEST(KvStoreBadRequest, InvalidCommandsChangeNothingButStillCountAsApplied) {
  Request bad_op = put("a", "1");
  bad_op.op = static_cast<Op>(99);
  Request bad_target = cas_value("a", "1", "2");
  bad_target.compare.target = static_cast<Compare::Target>(7);
  Request status;
  status.op = Op::kStatus;
  status.key = "a";
  const std::vector<Request> bad = {put("", "1"),
                                    del(""),
                                    del_range("", "z"),
                                    cas_value("", "", "x"),
                                    del_range("b", "a"),
                                    get("a"),
                                    range("a", kZero),
                                    status,
                                    bad_op,
                                    bad_target};
  KvStore store;
  apply_next(store, put("a", "1"));
  std::uint64_t index = 10;
  for (const Request& req : bad) {
    const auto before = contents(store);
    const Response r = store.apply(index, req);
    EXPECT_EQ(r.status, Status::kBadRequest) << static_cast<int>(req.op);
    EXPECT_FALSE(r.error.empty());
    EXPECT_EQ(r.revision, 1);
    EXPECT_EQ(store.applied_index(), index + 1);  // gaps in log indices are allowed
    EXPECT_EQ(contents(store), before);
    index += 2;
  }
}

TEST(KvStoreBadRequest, ReadServesOnlyGetAndRangeWithValidKeys) {
  KvStore store;
  apply_next(store, put("a", "1"));
  for (const Request& req : {put("a", "2"), del("a"), get(""), range("", "z"), range("b", "a")}) {
    EXPECT_EQ(store.read(req).status, Status::kBadRequest);
  }
  EXPECT_EQ(store.read(get("a")).kvs[0].value, "1");
}

TEST(KvStore, ResponsesEchoSeq) {
  KvStore store;
  Request req = put("a", "1");
  req.seq = 42;
  EXPECT_EQ(apply_next(store, req).seq, 42u);
  Request bad = put("", "1");
  bad.seq = 43;
  EXPECT_EQ(apply_next(store, bad).seq, 43u);
  Request read = get("a");
  read.seq = 44;
  EXPECT_EQ(store.read(read).seq, 44u);
}

TEST(KvStoreDeathTest, ApplyingAnOldIndexIsABug) {
  KvStore store;
  store.apply(5, put("a", "1"));
  EXPECT_DEATH(store.apply(5, put("a", "2")), "increasing order");
}

}  // namespace
}  // namespace paxoskv
