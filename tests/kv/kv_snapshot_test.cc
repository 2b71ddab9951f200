// Snapshots: a round trip preserves the state (and its future behaviour), and restore() rejects
// anything that is not a snapshot without crashing or touching the current state.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "kv_test_util.h"
#include "server/kv/snapshot_codec.h"

namespace paxoskv {
namespace {

using namespace kv_test;  // NOLINT(build/namespaces)

// A store with keys, deletes, and sessions holding cached answers (with kvs and prev_kv).
std::vector<Request> workload(const std::vector<std::tuple<int, int, int>>& steps) {
  std::vector<Request> out;
  std::uint64_t seq = 0;
  for (const auto& [kind, key_number, client] : steps) {
    const std::string key = "key" + std::to_string(key_number);
    Request r;
    switch (kind) {
      case 0:
        r = put(key, std::string(static_cast<std::size_t>(key_number), 'v'), true);
        break;
      case 1:
        r = del(key, true);
        break;
      case 2:
        r = del_range("key1", "key4", true);
        break;
      default:
        r = cas_number(key, Compare::Target::kVersion, key_number % 2, "cas");
        break;
    }
    ++seq;
    out.push_back(client == 0 ? r : with_session(r, static_cast<std::uint64_t>(client), seq, 1));
  }
  return out;
}

auto gen_steps() {
  return rc::gen::container<std::vector<std::tuple<int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 4), rc::gen::inRange(0, 6), rc::gen::inRange(0, 4)));
}

std::string with_valid_envelope(std::string_view body) {
  std::string out = "PKVS";
  out.push_back(1);
  out.append(body);
  const std::uint64_t sum = kv_codec::fnv1a(kv_codec::kFnvOffset, out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(sum >> (8 * i)));
  return out;
}

TEST(KvSnapshot, EmptyStoreRoundTrips) {
  KvStore store;
  KvStore copy;
  apply_next(copy, put("junk", "x"));
  ASSERT_TRUE(copy.restore(store.snapshot()));
  EXPECT_EQ(copy.state_hash(), store.state_hash());
  EXPECT_EQ(copy.key_count(), 0u);
  EXPECT_EQ(copy.applied_index(), 0u);
}

TEST(KvSnapshot, StateHashSeesEveryPartOfTheState) {
  KvStore base;
  base.apply(0, put("a", "1"));
  KvStore other_value, other_index, other_session;
  other_value.apply(0, put("a", "2"));
  other_index.apply(1, put("a", "1"));
  other_session.apply(0, with_session(put("a", "1"), 9, 1, 1));
  EXPECT_NE(base.state_hash(), other_value.state_hash());
  EXPECT_NE(base.state_hash(), other_index.state_hash());
  EXPECT_NE(base.state_hash(), other_session.state_hash());
}

TEST(KvSnapshot, RejectsOtherVersionsTruncationAndFlippedBytes) {
  KvStore store;
  for (std::uint64_t i = 0; i < 20; ++i) {
    store.apply(i, with_session(put("k" + std::to_string(i % 7), "v"), 1 + i % 3, i + 1, 1));
  }
  const std::string good = store.snapshot();
  KvStore target;
  apply_next(target, put("mine", "x"));
  const std::uint64_t before = target.state_hash();
  std::string wrong_version = good;
  wrong_version[4] = 2;
  EXPECT_FALSE(target.restore(wrong_version));
  for (std::size_t n = 0; n < good.size(); n += 3) {
    EXPECT_FALSE(target.restore(std::string_view(good).substr(0, n)));
  }
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x20);
    EXPECT_FALSE(target.restore(flipped)) << i;
  }
  EXPECT_FALSE(target.restore(good + "x"));
  EXPECT_EQ(target.state_hash(), before);
  EXPECT_TRUE(target.restore(good));
  EXPECT_EQ(target.state_hash(), store.state_hash());
}

TEST(KvSnapshot, RejectsValidlyFramedBodiesThatBreakInvariants) {
  using namespace std::string_literals;
  // applied_end revision key_count {key value create mod version}* session_count {...}*
  const std::vector<std::string> bodies = {
      "\x01\x00\x01\x00\x00\x00\x00\x00\x00"s,  // empty key
      "\x01\x01\x01\x01"
      "a"
      "\x00\x02\x01\x01\x00"s,  // create > mod
      "\x01\x01\x01\x01"
      "a"
      "\x00\x02\x02\x01\x00"s,  // mod > revision
      "\x01\x01\x01\x01"
      "a"
      "\x00\x01\x01\x00\x00"s,  // version 0
      "\x01\x02\x02\x01"
      "b"
      "\x00\x01\x01\x01\x01"
      "a"
      "\x00\x02\x02\x01\x00"s,              // order
      "\x01\x00\x00\x01\x05\x00\x01\x00"s,  // session used at applied_end
      "\x01\x00\x00\x01\x00\x00\x00\x00"s,  // client id 0
      "\x01\x00\x00\x00\x00"s,              // trailing byte
      "\x01\x00\x00\x7f"s,                  // more sessions than bytes
  };
  for (const std::string& body : bodies) {
    KvStore store;
    EXPECT_FALSE(store.restore(with_valid_envelope(body))) << testing::PrintToString(body);
  }
  KvStore store;  // and the smallest valid body, to show the framing above is right
  EXPECT_TRUE(store.restore(with_valid_envelope("\x01\x00\x00\x00"s)));
  EXPECT_TRUE(
      store.restore(with_valid_envelope("\x01\x01\x01\x01"
                                        "a"
                                        "\x00\x01\x01\x01\x00"s)));
  EXPECT_EQ(store.applied_index(), 1u);
}

RC_GTEST_PROP(KvSnapshot, RoundTripPreservesStateAndFutureBehaviour, ()) {
  const auto before = workload(*gen_steps());
  const auto after = workload(*gen_steps());
  const KvStoreOptions options{.session_expiry_entries = 8, .session_responses_max = 4};
  KvStore store(options);
  std::uint64_t index = 0;
  for (const Request& r : before) store.apply(index++, r);
  const std::string bytes = store.snapshot();
  KvStore copy(options);
  RC_ASSERT(copy.restore(bytes));
  RC_ASSERT(copy.state_hash() == store.state_hash());
  RC_ASSERT(copy.snapshot() == bytes);
  RC_ASSERT(copy.applied_index() == store.applied_index());
  RC_ASSERT(copy.session_count() == store.session_count());
  for (const Request& r : before) {  // retries after restore still get the cached answers
    RC_ASSERT(same_response(copy.apply(index, r), store.apply(index, r)));
    ++index;
  }
  for (const Request& r : after) {
    RC_ASSERT(same_response(copy.apply(index, r), store.apply(index, r)));
    ++index;
  }
  RC_ASSERT(copy.state_hash() == store.state_hash());
}

RC_GTEST_PROP(KvSnapshot, RestoreOfRandomBytesFailsCleanly, (const std::string& bytes)) {
  KvStore store;
  store.apply(0, put("a", "1"));
  const std::uint64_t before = store.state_hash();
  RC_ASSERT(!store.restore(bytes));
  RC_ASSERT(store.state_hash() == before);
}

// Garbage behind a correct envelope reaches the parser itself: it must bound every length and
// count. If it happens to accept, the result must be a consistent store.
RC_GTEST_PROP(KvSnapshot, ParserSurvivesGarbageBodies, (const std::string& body)) {
  KvStore store;
  if (store.restore(with_valid_envelope(body))) {
    KvStore again;
    RC_ASSERT(again.restore(store.snapshot()));
    RC_ASSERT(again.state_hash() == store.state_hash());
  }
}

// Mutating a real snapshot body (then fixing the checksum) stresses the invariant checks.
RC_GTEST_PROP(KvSnapshot, ParserSurvivesMutatedSnapshots, ()) {
  KvStore source;
  std::uint64_t index = 0;
  for (const Request& r : workload(*gen_steps())) source.apply(index++, r);
  const std::string good = source.snapshot();
  std::string body = good.substr(5, good.size() - 13);
  const auto edits = *rc::gen::container<std::vector<std::pair<std::size_t, char>>>(
      rc::gen::pair(rc::gen::arbitrary<std::size_t>(), rc::gen::arbitrary<char>()));
  for (const auto& [where, byte] : edits) {
    if (!body.empty()) body[where % body.size()] = byte;
  }
  KvStore store;
  if (store.restore(with_valid_envelope(body))) {
    KvStore again;
    RC_ASSERT(again.restore(store.snapshot()));
    RC_ASSERT(again.state_hash() == store.state_hash());
  }
}

}  // namespace
}  // namespace paxoskv
