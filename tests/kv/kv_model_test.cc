// Model-based test: KvStore against a deliberately naive model (a std::map of KeyValue and a
// revision counter, with every rule written the obvious way). Random command sequences over a
// small key space so that ranges, overwrites, deletes and cas collide often.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "kv_test_util.h"

namespace paxoskv {
namespace {

using namespace kv_test;  // NOLINT(build/namespaces)

const std::vector<std::string> kKeys = {"a", "ab", "b", "b\xff", "ba", "c", "d"};

struct Model {
  std::map<std::string, KeyValue> kvs;
  std::int64_t revision = 0;

  static bool in_range(const std::string& k, const Request& r) {
    if (r.range_end.empty()) return k == r.key;
    if (r.range_end == std::string(1, '\0')) return k >= r.key;
    return k >= r.key && k < r.range_end;
  }
  static bool bad_range(const Request& r) {
    return !r.range_end.empty() && r.range_end != std::string(1, '\0') && r.range_end < r.key;
  }

  Response run(const Request& r, bool through_log) {
    Response out;
    out.seq = r.seq;
    const bool is_write =
        r.op == Op::kPut || r.op == Op::kDelete || r.op == Op::kDeleteRange || r.op == Op::kCas;
    if (through_log != is_write ||
        ((r.op == Op::kDeleteRange || r.op == Op::kRange) && bad_range(r))) {
      out.status = Status::kBadRequest;
    } else if (r.op == Op::kPut) {
      put(r, out);
    } else if (r.op == Op::kDelete || r.op == Op::kDeleteRange) {
      // kDelete is one key whatever range_end says.
      Request span = r;
      if (r.op == Op::kDelete) span.range_end.clear();
      std::vector<std::string> doomed;
      for (const auto& [k, v] : kvs) {
        if (in_range(k, span)) doomed.push_back(k);
      }
      for (const std::string& k : doomed) {
        if (r.prev_kv && r.op == Op::kDelete) out.prev_kv = kvs[k];
        if (r.prev_kv && r.op == Op::kDeleteRange) out.kvs.push_back(kvs[k]);
        kvs.erase(k);
      }
      out.deleted = doomed.size();
      if (!doomed.empty()) ++revision;
    } else if (r.op == Op::kCas) {
      const auto it = kvs.find(r.key);
      const KeyValue cur = it == kvs.end() ? KeyValue{} : it->second;
      bool holds = false;
      switch (r.compare.target) {
        case Compare::Target::kValue:
          holds = it != kvs.end() && cur.value == r.compare.value;
          break;
        case Compare::Target::kVersion:
          holds = cur.version == r.compare.number;
          break;
        case Compare::Target::kModRevision:
          holds = cur.mod_revision == r.compare.number;
          break;
        case Compare::Target::kCreateRevision:
          holds = cur.create_revision == r.compare.number;
          break;
      }
      if (holds) {
        put(r, out);
        out.succeeded = true;
      } else {
        out.status = Status::kCompareFailed;
      }
    } else if (r.op == Op::kGet) {
      const auto it = kvs.find(r.key);
      if (it == kvs.end()) {
        out.status = Status::kNotFound;
      } else {
        out.kvs.push_back(it->second);
      }
    } else {  // kRange
      for (const auto& [k, v] : kvs) {
        if (!in_range(k, r)) continue;
        if (r.limit != 0 && out.kvs.size() == r.limit) {
          out.more = true;
          break;
        }
        out.kvs.push_back(v);
      }
    }
    out.revision = revision;
    return out;
  }

  void put(const Request& r, Response& out) {
    ++revision;
    auto it = kvs.find(r.key);
    if (it != kvs.end()) {
      if (r.prev_kv) out.prev_kv = it->second;
      it->second.value = r.value;
      it->second.mod_revision = revision;
      ++it->second.version;
    } else {
      kvs[r.key] = KeyValue{r.key, r.value, revision, revision, 1};
    }
  }
};

rc::Gen<Request> gen_request() {
  return rc::gen::apply(
      [](int op, std::size_t key, std::size_t end, int value, int number, bool prev_kv, int target,
         int limit) {
        Request r;
        r.op = static_cast<Op>(op);
        r.key = kKeys[key];
        // range_end: empty, "\0", or one of the keys (possibly below key: a bad request).
        if (end == kKeys.size()) r.range_end = std::string(1, '\0');
        if (end < kKeys.size()) r.range_end = kKeys[end];
        r.value = "v" + std::to_string(value);
        r.prev_kv = prev_kv;
        r.compare.target = static_cast<Compare::Target>(target);
        r.compare.value = "v" + std::to_string(value % 3);
        r.compare.number = number;
        r.limit = static_cast<std::uint64_t>(limit);
        return r;
      },
      rc::gen::inRange(0, 6), rc::gen::inRange<std::size_t>(0, kKeys.size()),
      rc::gen::inRange<std::size_t>(0, kKeys.size() + 2), rc::gen::inRange(0, 6),
      rc::gen::inRange(0, 8), rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 4),
      rc::gen::inRange(0, 4));
}

void expect_same(const Response& got, const Response& want) {
  RC_ASSERT(got.status == want.status);
  RC_ASSERT(got.revision == want.revision);
  RC_ASSERT(got.kvs == want.kvs);
  RC_ASSERT(got.prev_kv == want.prev_kv);
  RC_ASSERT(got.succeeded == want.succeeded);
  RC_ASSERT(got.deleted == want.deleted);
  RC_ASSERT(got.more == want.more);
  RC_ASSERT(got.seq == want.seq);
}

RC_GTEST_PROP(KvStoreModel, EveryCommandAgreesWithTheMapModel, ()) {
  const auto commands = *rc::gen::container<std::vector<Request>>(gen_request());
  KvStore store;
  Model model;
  std::uint64_t index = 0;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    Request r = commands[i];
    r.seq = i;
    // Writes go through the log; get and range go both ways (through the log they are
    // rejected); status only through the log.
    const bool read = (r.op == Op::kGet || r.op == Op::kRange) && i % 4 != 0;
    if (read) {
      expect_same(store.read(r), model.run(r, false));
    } else {
      index += 1 + i % 2;  // with gaps, like log entries that are not commands
      expect_same(store.apply(index, r), model.run(r, true));
      RC_ASSERT(store.applied_index() == index + 1);
    }
    RC_ASSERT(store.revision() == model.revision);
  }
  std::vector<KeyValue> want;
  for (const auto& [k, v] : model.kvs) want.push_back(v);
  RC_ASSERT(contents(store) == want);
  RC_ASSERT(store.key_count() == model.kvs.size());
}

}  // namespace
}  // namespace paxoskv
