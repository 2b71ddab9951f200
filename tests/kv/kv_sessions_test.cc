// Exactly-once client sessions: retries, acknowledgements, the kBusy bound and expiry.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "kv_test_util.h"

namespace paxoskv {
namespace {

using namespace kv_test;  // NOLINT(build/namespaces)

TEST(KvSessions, RetryOfAnAppliedSeqGetsTheFirstAnswerAndAppliesNothing) {
  KvStore store;
  const Response first = store.apply(0, with_session(put("a", "1"), 7, 1, 1));
  apply_next(store, put("b", "x"));  // another write in between moves the revision
  const Response retry = store.apply(5, with_session(put("a", "1"), 7, 1, 1));
  EXPECT_TRUE(same_response(first, retry));
  EXPECT_EQ(retry.revision, 1);
  EXPECT_EQ(store.revision(), 2);
  EXPECT_EQ(store.read(get("a")).kvs[0].version, 1);
  EXPECT_EQ(store.session_count(), 1u);
}

TEST(KvSessions, RetriedFailuresAreReplayedToo) {
  KvStore store;
  const Response first = store.apply(0, with_session(cas_value("a", "x", "y"), 7, 1, 1));
  EXPECT_EQ(first.status, Status::kCompareFailed);
  apply_next(store, put("a", "x"));  // now the cas would hold, but the retry must not apply it
  const Response retry = apply_next(store, with_session(cas_value("a", "x", "y"), 7, 1, 1));
  EXPECT_TRUE(same_response(first, retry));
  EXPECT_EQ(store.read(get("a")).kvs[0].value, "x");
}

TEST(KvSessions, AcknowledgedAnswersAreDroppedAndTheirRetriesRejected) {
  KvStore store;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    apply_next(store, with_session(put("a", std::to_string(seq)), 7, seq, 1));
  }
  EXPECT_EQ(store.sessions().find(7)->responses.size(), 3u);
  apply_next(store, with_session(put("b", "x"), 7, 4, 3));  // the client saw answers 1 and 2
  EXPECT_EQ(store.sessions().find(7)->responses.size(), 2u);
  EXPECT_EQ(store.sessions().find(7)->first_unacked_seq, 3u);
  const std::int64_t revision = store.revision();
  const Response stale = apply_next(store, with_session(put("a", "1"), 7, 1, 1));
  EXPECT_EQ(stale.status, Status::kBadRequest);
  EXPECT_EQ(store.revision(), revision);
  // seq 3 is still unacknowledged: its retry is answered from the cache.
  EXPECT_EQ(apply_next(store, with_session(put("a", "3"), 7, 3, 3)).revision, 3);
}

TEST(KvSessions, RequestWhoseSeqIsBelowItsOwnFirstUnackedIsBad) {
  KvStore store;
  EXPECT_EQ(apply_next(store, with_session(put("a", "1"), 7, 1, 2)).status, Status::kBadRequest);
  EXPECT_EQ(store.session_count(), 0u);
  EXPECT_EQ(store.revision(), 0);
}

TEST(KvSessions, UnknownClientWithAcknowledgedHistoryHasAnExpiredSession) {
  KvStore store;
  EXPECT_EQ(apply_next(store, with_session(put("a", "1"), 7, 5, 2)).status,
            Status::kSessionExpired);
  EXPECT_EQ(store.session_count(), 0u);
  EXPECT_EQ(store.revision(), 0);
  // first_unacked_seq 0 or 1 opens a session.
  EXPECT_EQ(apply_next(store, with_session(put("a", "1"), 7, 5, 1)).status, Status::kOk);
  EXPECT_EQ(apply_next(store, with_session(put("a", "1"), 8, 0, 0)).status, Status::kOk);
  EXPECT_EQ(store.session_count(), 2u);
}

TEST(KvSessions, TooManyUnacknowledgedAnswersGetBusyWithoutApplying) {
  KvStore store(KvStoreOptions{.session_expiry_entries = 100, .session_responses_max = 3});
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    EXPECT_EQ(apply_next(store, with_session(put("a", "x"), 7, seq, 1)).status, Status::kOk);
  }
  const Response busy = apply_next(store, with_session(put("a", "x"), 7, 4, 1));
  EXPECT_EQ(busy.status, Status::kBusy);
  EXPECT_EQ(store.revision(), 3);
  // Busy is not cached: once the client acknowledges, the same seq applies.
  EXPECT_EQ(apply_next(store, with_session(put("a", "x"), 7, 4, 2)).status, Status::kOk);
  EXPECT_EQ(store.revision(), 4);
}

TEST(KvSessions, SessionExpiresAfterExactlyExpiryEntriesUnused) {
  KvStore store(KvStoreOptions{.session_expiry_entries = 10, .session_responses_max = 16});
  store.apply(0, with_session(put("a", "1"), 7, 1, 1));
  store.apply(10, put("other", "x"));    // no session: ages the table, does not refresh it
  EXPECT_EQ(store.session_count(), 1u);  // 10 indices after its last use: still alive
  store.apply(11, with_session(put("z", "1"), 8, 1, 1));
  EXPECT_EQ(store.session_count(), 1u);  // 11 after: client 7 is gone, client 8 is new
  EXPECT_EQ(store.sessions().find(7), nullptr);
  EXPECT_EQ(store.apply(12, with_session(put("a", "2"), 7, 2, 2)).status, Status::kSessionExpired);
  EXPECT_EQ(store.read(get("a")).kvs[0].value, "1");
  // Every use restarts the window.
  EXPECT_EQ(store.apply(21, with_session(put("z", "2"), 8, 2, 2)).status, Status::kOk);
  EXPECT_EQ(store.apply(31, with_session(put("z", "3"), 8, 3, 3)).status, Status::kOk);
  EXPECT_EQ(store.apply(42, with_session(put("z", "4"), 8, 4, 4)).status, Status::kSessionExpired);
  EXPECT_EQ(store.session_count(), 0u);
}

TEST(KvSessions, RejectedCommandsStillKeepTheSessionAlive) {
  KvStore store(KvStoreOptions{.session_expiry_entries = 5, .session_responses_max = 16});
  store.apply(0, with_session(put("a", "1"), 7, 1, 1));
  store.apply(5, with_session(put("", "1"), 7, 2, 2));  // bad request, but the client is alive
  EXPECT_EQ(store.apply(10, with_session(put("a", "3"), 7, 3, 3)).status, Status::kOk);
}

// The cache keeps answers by seq in a queue appended at the back; a seq that reaches the log after
// a higher one goes in the middle, and every answer, whatever its shape, replays unchanged.
TEST(KvSessions, AnswersOfSeqsAppliedOutOfOrderAreEachReplayed) {
  KvStore store;
  const Response third = apply_next(store, with_session(put("a", "3"), 7, 3, 1));
  const Response first = apply_next(store, with_session(put("a", "1", true), 7, 1, 1));
  const Response second = apply_next(store, with_session(put("", "2"), 7, 2, 1));  // bad request
  ASSERT_TRUE(first.prev_kv.has_value());
  EXPECT_EQ(second.status, Status::kBadRequest);
  EXPECT_EQ(store.sessions().find(7)->responses.size(), 3u);
  const std::int64_t revision = store.revision();
  EXPECT_TRUE(same_response(apply_next(store, with_session(put("a", "1", true), 7, 1, 1)), first));
  EXPECT_TRUE(same_response(apply_next(store, with_session(put("", "2"), 7, 2, 1)), second));
  EXPECT_TRUE(same_response(apply_next(store, with_session(put("a", "3"), 7, 3, 1)), third));
  EXPECT_EQ(store.revision(), revision);
  // Acknowledging 1 and 2 drops exactly those two.
  apply_next(store, with_session(put("b", "4"), 7, 4, 3));
  EXPECT_EQ(store.sessions().find(7)->responses.size(), 2u);
  EXPECT_TRUE(same_response(apply_next(store, with_session(put("a", "3"), 7, 3, 3)), third));
}

// ---- Exactly-once under random retries, duplicates, losses and reordering. ----

constexpr int kClients = 3;

// The write a client sends as `seq`: a function of (client, seq, kind) so every retry is equal.
Request client_write(int client, std::uint64_t seq, int kind) {
  const std::string key = "k" + std::to_string((seq + static_cast<std::uint64_t>(client)) % 3);
  const std::string value = "c" + std::to_string(client) + "s" + std::to_string(seq);
  switch (kind % 5) {
    case 0:
    case 1:
      return put(key, value, kind % 2 == 0);
    case 2:
      return del(key, true);
    case 3:
      return del_range("k0", "k2");
    default:
      return cas_number(key, Compare::Target::kVersion, static_cast<std::int64_t>(seq % 3), value);
  }
}

struct ClientSim {
  std::uint64_t id = 0;
  std::uint64_t next_seq = 1;
  std::set<std::uint64_t> unacked;  // sent, no answer seen yet
  std::set<std::uint64_t> in_log;
  std::map<std::uint64_t, Request> sent;
  std::uint64_t first_unacked() const {
    return unacked.empty() ? next_seq : std::min(*unacked.begin(), next_seq);
  }
};

// Interprets random steps as what the log can hold: new writes (some lost before reaching it),
// client retries of unanswered writes, acknowledgements, and verbatim duplicates of old entries
// (a proposal forwarded twice), which carry their old first_unacked_seq.
std::vector<Request> make_log(const std::vector<std::tuple<int, int, int>>& steps) {
  std::vector<ClientSim> clients(kClients);
  for (int c = 0; c < kClients; ++c) clients[c].id = 100 + static_cast<std::uint64_t>(c);
  std::vector<Request> log;
  auto append = [&](ClientSim& c, const Request& r) {
    c.in_log.insert(r.seq);
    log.push_back(r);
  };
  for (const auto& [action, client, pick] : steps) {
    ClientSim& c = clients[client];
    if (action <= 1) {
      const std::uint64_t seq = c.next_seq++;
      c.unacked.insert(seq);
      Request r = with_session(client_write(client, seq, pick), c.id, seq, c.first_unacked());
      c.sent[seq] = r;
      if (pick % 4 != 0) append(c, r);  // else lost: only a retry can bring it in
    } else if (action == 2 && !c.unacked.empty()) {
      auto it = std::next(c.unacked.begin(), pick % static_cast<int>(c.unacked.size()));
      Request r = c.sent[*it];
      r.first_unacked_seq = c.first_unacked();
      append(c, r);
    } else if (action == 3 || action == 5) {
      // The client sees the answer of one unacknowledged write that reached the log.
      std::vector<std::uint64_t> answered;
      for (std::uint64_t seq : c.unacked) {
        if (c.in_log.count(seq) != 0) answered.push_back(seq);
      }
      if (!answered.empty())
        c.unacked.erase(answered[static_cast<std::size_t>(pick) % answered.size()]);
    } else if ((action == 4 || action == 6) && !log.empty()) {
      log.push_back(log[static_cast<std::size_t>(pick) % log.size()]);
    }
  }
  return log;
}

RC_GTEST_PROP(KvSessions, RetriesApplyOnceAndGetTheFirstAnswer, ()) {
  const auto steps = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(rc::gen::tuple(
      rc::gen::inRange(0, 7), rc::gen::inRange(0, kClients), rc::gen::inRange(0, 1000)));
  const std::vector<Request> log = make_log(steps);

  KvStore store;
  KvStore reference;  // applies each (client, seq) once, without sessions
  std::map<std::pair<std::uint64_t, std::uint64_t>, Response> first;
  std::map<std::uint64_t, std::uint64_t> max_first_unacked;  // per client, over earlier entries
  std::size_t replayed = 0;
  std::size_t stale = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    const Request& r = log[i];
    const Response got = store.apply(i, r);
    const auto key = std::make_pair(r.client_id, r.seq);
    auto it = first.find(key);
    if (it == first.end()) {
      Request once = r;
      once.client_id = 0;
      RC_ASSERT(same_response(got, reference.apply(i, once)));
      first.emplace(key, got);
    } else if (max_first_unacked[r.client_id] > r.seq) {
      RC_ASSERT(got.status == Status::kBadRequest);  // the client already had its answer
      ++stale;
    } else {
      RC_ASSERT(same_response(got, it->second));
      ++replayed;
    }
    auto& f = max_first_unacked[r.client_id];
    f = std::max(f, r.first_unacked_seq);
  }
  RC_ASSERT(contents(store) == contents(reference));
  RC_ASSERT(store.revision() == reference.revision());
  RC_ASSERT(store.session_count() == max_first_unacked.size());
  RC_CLASSIFY(replayed > 0, "some retries replayed");
  RC_CLASSIFY(stale > 0, "some retries stale");
}

// Two replicas fed the same log agree after every entry, even with sessions expiring all the
// time, and even when one of them is rebuilt from a snapshot halfway (which must restore the
// expiry order too).
RC_GTEST_PROP(KvSessions, ExpiryIsDeterministicAcrossReplicasAndSnapshots, ()) {
  const auto entries = *rc::gen::container<std::vector<std::tuple<int, int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 6), rc::gen::inRange(1, 4), rc::gen::inRange(0, 3),
                     rc::gen::inRange(0, 5)));
  const auto snapshot_at = *rc::gen::inRange<std::size_t>(0, entries.size() + 1);
  const KvStoreOptions options{.session_expiry_entries = 4, .session_responses_max = 3};
  KvStore a(options);
  auto b = std::make_unique<KvStore>(options);
  std::uint64_t index = 0;
  std::size_t expired = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i == snapshot_at) {
      auto rebuilt = std::make_unique<KvStore>(options);
      RC_ASSERT(rebuilt->restore(b->snapshot()));
      b = std::move(rebuilt);
    }
    const auto& [client, seq, first_unacked, gap] = entries[i];
    index += 1 + static_cast<std::uint64_t>(gap);
    Request r = with_session(put("k" + std::to_string(seq % 2), "v"),
                             static_cast<std::uint64_t>(client), static_cast<std::uint64_t>(seq),
                             static_cast<std::uint64_t>(std::min(first_unacked, seq)));
    const Response ra = a.apply(index, r);
    const Response rb = b->apply(index, r);
    RC_ASSERT(same_response(ra, rb));
    if (ra.status == Status::kSessionExpired) ++expired;
    RC_ASSERT(a.state_hash() == b->state_hash());
    RC_ASSERT(a.session_count() == b->session_count());
  }
  RC_TAG(expired > 0 ? "some sessions expired" : "no session expired");
}

}  // namespace
}  // namespace paxoskv
