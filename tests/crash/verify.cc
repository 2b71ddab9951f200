#include "verify.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "client/client.h"

namespace paxoskv::crash {

namespace {

using namespace std::chrono_literals;

client::Client node_client(const testing::LocalCluster& cluster, std::optional<std::size_t> only) {
  client::ClientOptions options;
  options.endpoints =
      only ? std::vector<std::string>{cluster.client_address(*only)} : cluster.endpoints();
  options.request_timeout = 5s;
  options.attempt_timeout = 500ms;
  return client::Client(options);
}

// Every key, in pages (one response must stay well under the frame limit however long the run
// was). The first key is "\0" because the server rejects an empty key; no writer key sorts below.
std::optional<std::vector<KeyValue>> scan_all(client::Client& kv, bool serializable,
                                              std::string& error) {
  std::vector<KeyValue> all;
  std::string from(1, '\0');
  for (int page = 0; page < 100000; ++page) {
    const Response r = kv.range(from, std::string(1, '\0'), 2000, serializable);
    if (r.status != Status::kOk) {
      error = std::string(status_name(r.status)) + ": " + r.error;
      return std::nullopt;
    }
    all.insert(all.end(), r.kvs.begin(), r.kvs.end());
    if (!r.more || r.kvs.empty()) return all;
    from = r.kvs.back().key + std::string(1, '\0');  // the next key after the last one
  }
  error = "scan did not end";
  return std::nullopt;
}

std::string describe(const KeyValue& kv) {
  std::ostringstream s;
  s << kv.key << "=" << kv.value << " (create " << kv.create_revision << ", mod " << kv.mod_revision
    << ", version " << kv.version << ")";
  return s.str();
}

// The first difference between two scans, or "" if they are equal.
std::string first_difference(const std::vector<KeyValue>& a, const std::vector<KeyValue>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (!(a[i] == b[i]))
      return "at #" + std::to_string(i) + ": " + describe(a[i]) + " vs " + describe(b[i]);
  }
  if (a.size() != b.size()) {
    return std::to_string(a.size()) + " keys vs " + std::to_string(b.size()) +
           "; first extra: " + describe(a.size() > b.size() ? a[n] : b[n]);
  }
  return "";
}

// Polls every node until all report the same decided index, have applied all of it, and the
// numbers did not move between two polls (nothing is being written any more).
bool wait_for_convergence(const testing::LocalCluster& cluster, std::chrono::milliseconds deadline,
                          std::vector<NodeStatus>& last) {
  client::ClientOptions options;
  options.endpoints = cluster.endpoints();
  options.request_timeout = 500ms;
  options.attempt_timeout = 500ms;
  client::Client kv(options);
  std::optional<std::uint64_t> previous;
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    last.clear();
    std::optional<std::uint64_t> decided;
    bool same = true;
    for (const Response& r : kv.status_all(cluster.endpoints())) {
      if (r.status != Status::kOk || !r.node) {
        same = false;
        continue;
      }
      last.push_back(*r.node);
      if (r.node->applied_idx != r.node->decided_idx) same = false;
      if (decided && *decided != r.node->decided_idx) same = false;
      decided = r.node->decided_idx;
    }
    if (same && decided && previous == decided) return true;
    previous = same ? decided : std::nullopt;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

}  // namespace

VerifyResult verify(const testing::LocalCluster& cluster, const std::vector<WriterLog>& logs,
                    std::mt19937_64& rng, std::chrono::milliseconds deadline, std::size_t sample) {
  VerifyResult v;
  auto problem = [&](std::string text) {
    if (v.problems.size() < 40) v.problems.push_back(std::move(text));
  };

  if (!cluster.wait_for_leader(deadline)) {
    problem("no leader within " + std::to_string(deadline.count()) +
            " ms after the faults stopped");
    return v;
  }
  v.passed.push_back("a leader was elected after the faults stopped");

  // (a) linearizable, through the cluster.
  auto through_cluster = node_client(cluster, std::nullopt);
  std::string error;
  const std::optional<std::vector<KeyValue>> reference = scan_all(through_cluster, false, error);
  if (!reference) {
    problem("linearizable scan failed: " + error);
    return v;
  }
  v.keys = reference->size();

  // (c) every key present is a write that was attempted, applied once, with its own value.
  std::map<std::string, const KeyValue*> present;
  std::set<std::int64_t> revisions;
  for (const KeyValue& kv : *reference) {
    present[kv.key] = &kv;
    const auto who = parse_write_key(kv.key);
    if (!who || who->first >= logs.size() || who->second >= logs[who->first].writes.size()) {
      problem("a key no writer attempted: " + describe(kv));
      continue;
    }
    const WriteRecord& w = logs[who->first].writes[who->second];
    if (kv.value != write_value(who->first, who->second)) problem("wrong value: " + describe(kv));
    if (kv.version != 1 || kv.create_revision != kv.mod_revision) {
      problem("written more than once: " + describe(kv));
    }
    if (w.outcome == Outcome::kAcked && kv.mod_revision != w.revision) {
      problem("acknowledged at revision " + std::to_string(w.revision) + " but stored as " +
              describe(kv));
    }
    if (!revisions.insert(kv.mod_revision).second) {
      problem("revision shared by two keys: " + describe(kv));
    }
  }

  // (a) every acknowledged write is there; count what became of the unknown ones.
  std::vector<std::string> acked_keys;
  for (std::size_t writer = 0; writer < logs.size(); ++writer) {
    for (std::uint64_t n = 0; n < logs[writer].writes.size(); ++n) {
      const std::string key = write_key(writer, n);
      const bool there = present.count(key) != 0;
      if (logs[writer].writes[n].outcome == Outcome::kAcked) {
        ++v.acked;
        acked_keys.push_back(key);
        if (!there) {
          problem("LOST acknowledged write " + key + " (acked at revision " +
                  std::to_string(logs[writer].writes[n].revision) + ")");
        }
      } else {
        ++(there ? v.unknown_applied : v.unknown_absent);
      }
    }
  }
  if (v.ok()) {
    v.passed.push_back("linearizable scan: all " + std::to_string(v.acked) +
                       " acknowledged writes present, every key written once with its own value");
  }

  // (a) individual linearizable gets of a random sample.
  std::shuffle(acked_keys.begin(), acked_keys.end(), rng);
  acked_keys.resize(std::min(acked_keys.size(), sample));
  std::size_t sample_problems = 0;
  for (const std::string& key : acked_keys) {
    const Response r = through_cluster.get(key);
    const auto who = parse_write_key(key);
    if (r.status != Status::kOk || r.kvs.size() != 1 ||
        r.kvs[0].value != write_value(who->first, who->second)) {
      ++sample_problems;
      problem("linearizable get of acknowledged " + key + ": " + status_name(r.status) + " " +
              r.error + (r.kvs.empty() ? "" : " " + describe(r.kvs[0])));
    }
  }
  if (sample_problems == 0) {
    v.passed.push_back("linearizable gets of " + std::to_string(acked_keys.size()) +
                       " sampled acknowledged keys");
  }

  // (a)+(b) serializable scans of every node, once all applied the same decided index.
  std::vector<NodeStatus> statuses;
  if (!wait_for_convergence(cluster, deadline, statuses)) {
    std::ostringstream s;
    s << "nodes did not converge on one decided index within " << deadline.count() << " ms:";
    for (const NodeStatus& n : statuses) {
      s << " [node " << n.node_id << " decided " << n.decided_idx << " applied " << n.applied_idx
        << "]";
    }
    problem(s.str());
    return v;
  }
  v.decided_idx = statuses.empty() ? 0 : statuses.front().decided_idx;
  v.passed.push_back("all nodes applied decided index " + std::to_string(v.decided_idx));
  bool identical = true;
  for (const NodeStatus& n : statuses) {
    if (n.revision != statuses.front().revision) {
      identical = false;
      problem("node " + std::to_string(n.node_id) + " is at revision " +
              std::to_string(n.revision) + ", node " + std::to_string(statuses.front().node_id) +
              " at " + std::to_string(statuses.front().revision));
    }
  }
  for (std::size_t node = 1; node <= cluster.size(); ++node) {
    auto local = node_client(cluster, node);
    const std::optional<std::vector<KeyValue>> scan = scan_all(local, true, error);
    if (!scan) {
      identical = false;
      problem("serializable scan of node " + std::to_string(node) + " failed: " + error);
      continue;
    }
    const std::string diff = first_difference(*reference, *scan);
    if (!diff.empty()) {
      identical = false;
      problem("node " + std::to_string(node) + " differs from the linearizable scan " + diff);
    }
  }
  if (identical) {
    v.passed.push_back("serializable scans of all " + std::to_string(cluster.size()) +
                       " nodes identical (" + std::to_string(v.keys) +
                       " keys) and equal to the "
                       "linearizable scan");
  }
  return v;
}

}  // namespace paxoskv::crash
