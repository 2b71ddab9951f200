// Loads a ServerConfig from defaults, a TOML file, PAXOSKV_* environment variables and
// `section.key=value` overrides, in that order of increasing precedence.
//
// Every layer is checked key by key against one table (kKeys below) so that the TOML reader, the
// environment and the flags cannot drift apart: a key exists in all three or in none. A bad value
// is reported and *not* applied, so a lower layer's value stays in place; loading never stops at
// the first problem because an operator fixing a config wants the whole list in one go.
#include "common/server_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/toml_type_name.h"

extern char** environ;

namespace paxoskv {
namespace {

enum class Kind { kUnsigned, kAddress, kPath, kName, kLogLevel, kOnOff };

// One scalar key: where it lives, how it is checked and which member it fills.
struct KeySpec {
  const char* section;
  const char* name;
  Kind kind;
  std::uint64_t ServerConfig::*u64;  // kUnsigned keys
  std::string ServerConfig::*str;    // all others
  std::uint64_t min, max;            // kUnsigned keys: the accepted range, inclusive

  std::string full_key() const { return std::string(section) + "." + name; }
};

constexpr std::uint64_t kNoMax = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr std::uint64_t kGiB = 1024 * kMiB;

constexpr KeySpec num(const char* section, const char* name, std::uint64_t ServerConfig::*member,
                      std::uint64_t min, std::uint64_t max) {
  return KeySpec{section, name, Kind::kUnsigned, member, nullptr, min, max};
}
constexpr KeySpec text(const char* section, const char* name, Kind kind,
                       std::string ServerConfig::*member) {
  return KeySpec{section, name, kind, nullptr, member, 0, 0};
}

// Every scalar key with its sanity range. The ranges reject values that are certainly typos
// (a zero timeout, a 1 TiB frame) rather than tune anything; the comments give the reason.
const std::array kKeys = {
    // Node ids are any non-zero number chosen by the operator; 0 means "nobody" in the core.
    num("node", "id", &ServerConfig::node_id, 1, kNoMax),
    text("node", "cluster_id", Kind::kName, &ServerConfig::cluster_id),
    text("node", "data_dir", Kind::kPath, &ServerConfig::data_dir),
    text("network", "peer_listen", Kind::kAddress, &ServerConfig::peer_listen),
    text("network", "client_listen", Kind::kAddress, &ServerConfig::client_listen),
    // A frame must hold at least a handshake and a small batch; above 1 GiB one message could
    // exhaust memory on a small node.
    num("network", "max_frame_bytes", &ServerConfig::max_frame_bytes, 4 * kKiB, kGiB),
    num("network", "max_client_connections", &ServerConfig::max_client_connections, 1, 1'000'000),
    // 1 s .. 24 h: shorter drops clients between two keystrokes, longer is "never".
    num("network", "client_idle_timeout_ms", &ServerConfig::client_idle_timeout_ms, 1000,
        86'400'000),
    num("network", "peer_queue_bytes_max", &ServerConfig::peer_queue_bytes_max, 4 * kKiB,
        64 * kGiB),
    num("network", "client_queue_bytes_max", &ServerConfig::client_queue_bytes_max, 4 * kKiB,
        64 * kGiB),
    // 1 ms .. 10 s: a tick is the unit of every consensus timeout.
    num("consensus", "tick_ms", &ServerConfig::tick_ms, 1, 10'000),
    // The core needs at least 2 ticks per election round and 1 per resend; the upper bound keeps
    // the values inside the core's 32-bit fields and below "never elects a leader".
    num("consensus", "election_timeout_ticks", &ServerConfig::election_timeout_ticks, 2, 1'000'000),
    num("consensus", "resend_timeout_ticks", &ServerConfig::resend_timeout_ticks, 1, 1'000'000),
    num("consensus", "batch_entries_max", &ServerConfig::batch_entries_max, 1, 1'000'000),
    num("consensus", "batch_bytes_max", &ServerConfig::batch_bytes_max, 1, kGiB),
    num("consensus", "pipeline_entries_max", &ServerConfig::pipeline_entries_max, 1,
        std::uint64_t{1} << 30),
    num("consensus", "proposal_buffer_entries_max", &ServerConfig::proposal_buffer_entries_max, 1,
        std::uint64_t{1} << 30),
    // 0 = majority; otherwise checked against the membership by paxos::Config::validate().
    num("consensus", "read_quorum_size", &ServerConfig::read_quorum_size, 0, 1024),
    num("consensus", "write_quorum_size", &ServerConfig::write_quorum_size, 0, 1024),
    num("consensus", "leader_priority", &ServerConfig::leader_priority, 0, kNoMax),
    // 1 ms .. 1 h.
    num("server", "request_timeout_ms", &ServerConfig::request_timeout_ms, 1, 3'600'000),
    num("server", "session_expiry_entries", &ServerConfig::session_expiry_entries, 1, kNoMax),
    num("server", "max_pending_requests", &ServerConfig::max_pending_requests, 1, 10'000'000),
    text("log", "level", Kind::kLogLevel, &ServerConfig::log_level),
    // "off" acknowledges writes before they are on disk: for measuring what durability costs,
    // never for data anyone wants back. The server logs a warning at start.
    text("storage", "fsync", Kind::kOnOff, &ServerConfig::fsync),
    // A WAL segment is the unit of deletion after a snapshot: smaller means tighter disk use,
    // more files. 64 KiB .. 4 GiB.
    num("storage", "segment_bytes", &ServerConfig::segment_bytes, 64 * kKiB, 4 * kGiB),
    // Applied entries between two snapshots of the state machine (0 = never snapshot, and the log
    // is never trimmed). Each snapshot lets the log below the previous one be deleted.
    num("snapshot", "interval_entries", &ServerConfig::snapshot_interval_entries, 0, kNoMax),
    // A lagging peer is sent a snapshot in chunks of this size (one outstanding at a time).
    num("snapshot", "chunk_bytes", &ServerConfig::snapshot_chunk_bytes, 4 * kKiB, 64 * kMiB),
    // A transfer that makes no progress for this long is abandoned and started over.
    num("snapshot", "transfer_timeout_ms", &ServerConfig::snapshot_transfer_timeout_ms, 100,
        3'600'000),
};

constexpr std::string_view kEnvPrefix = "PAXOSKV_";
// Read by the command-line client, not the server; tolerated so one shell can serve both.
constexpr std::string_view kClientEnv = "PAXOSKV_ENDPOINTS";
constexpr std::string_view kPeersEnv = "PAXOSKV_PEERS";
const std::string kPeersKey = "peers";
// Source of problems that involve several keys, or that no single source introduced.
const std::string kCombined = "configuration";

std::string env_name(const KeySpec& spec) {
  std::string name(kEnvPrefix);
  for (char c : spec.full_key()) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

const KeySpec* find_key(std::string_view full_key) {
  for (const KeySpec& spec : kKeys) {
    if (spec.full_key() == full_key) return &spec;
  }
  return nullptr;
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// Letters, digits and the characters in `extra`: host names and the cluster id.
bool all_safe(std::string_view text, std::string_view extra) {
  return std::all_of(text.begin(), text.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

// Strict decimal parse of an environment or flag value: digits only, no sign, no spaces, no
// trailing junk. Returns the reason on failure.
std::optional<std::string> parse_u64(std::string_view text, std::uint64_t* out) {
  if (text.empty()) return "is empty; expected a non-negative integer";
  if (text.front() == '-') return quoted(text) + " is negative; expected a non-negative integer";
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return quoted(text) + " is not a non-negative decimal integer";
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (ec == std::errc::result_out_of_range) return quoted(text) + " is too large";
  if (ec != std::errc() || end != text.data() + text.size()) {
    return quoted(text) + " is not a non-negative decimal integer";
  }
  return std::nullopt;
}

// host:port with a port in 1..65535. The host is a name or IPv4 address, or an IPv6 address in
// brackets ("[::1]:7001"); it is not resolved here, that is the network layer's job.
std::optional<std::string> address_problem(std::string_view address) {
  const std::string expected = "; expected host:port, e.g. 127.0.0.1:7001";
  std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return quoted(address) + " has no port" + expected;
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (host.empty()) return quoted(address) + " has no host" + expected;
  bool bracketed = host.front() == '[';
  bool host_ok = bracketed ? host.size() > 2 && host.back() == ']' &&
                                 all_safe(host.substr(1, host.size() - 2), ":.")
                           : all_safe(host, ".-_");
  if (!host_ok) return quoted(address) + " has an invalid host" + expected;
  std::uint64_t number = 0;
  if (port.empty() || parse_u64(port, &number) || number < 1 || number > 65535) {
    return quoted(address) + " has an invalid port (must be 1..65535)" + expected;
  }
  return std::nullopt;
}

// What is wrong with a value for a string key of this kind, if anything.
std::optional<std::string> string_problem(Kind kind, const std::string& value) {
  if (kind == Kind::kAddress) return address_problem(value);
  if (kind == Kind::kPath && value.empty()) return "must not be empty";
  // The cluster id is compared on every peer handshake and may appear in file names, so keep it
  // to a short, shell- and path-safe alphabet.
  if (kind == Kind::kName && (value.empty() || value.size() > 64 || !all_safe(value, ".-_"))) {
    return quoted(value) + " must be 1..64 characters from A-Z a-z 0-9 . - _";
  }
  constexpr std::array<std::string_view, 6> kLevels = {"trace", "debug", "info",
                                                       "warn",  "error", "off"};
  if (kind == Kind::kOnOff && value != "on" && value != "off") {
    return quoted(value) + " must be on or off";
  }
  if (kind == Kind::kLogLevel &&
      std::find(kLevels.begin(), kLevels.end(), value) == kLevels.end()) {
    return quoted(value) + " is not a log level; expected trace, debug, info, warn, error or off";
  }
  return std::nullopt;
}

// One load: applies the layers in order of precedence into `config_`, collecting errors.
class Loader {
 public:
  explicit Loader(const ConfigSources& sources) : sources_(sources) {}

  ConfigLoad run() {
    load_file();
    for (const auto& [name, value] : sources_.environment) load_env(name, value);
    for (const auto& [key, value] : sources_.overrides) load_override(key, value);
    // After an unreadable file its keys are unknown, and "node.id is required" would mislead.
    if (file_ok_) check_combined();
    return ConfigLoad{config_, std::move(errors_)};
  }

 private:
  // Reports a problem found in the layer being read (`source_`); returns false for chaining.
  bool error(std::string key, std::string reason) {
    errors_.push_back(ConfigError{source_, std::move(key), std::move(reason)});
    return false;
  }
  // Records whether the highest-precedence setting of `key` so far was accepted.
  void settled(const std::string& key, bool ok) {
    if (ok) {
      origin_[key] = source_;
      bad_.erase(key);
    } else {
      bad_.insert(key);
    }
  }

  // ---- scalar keys: checked, then stored; a rejected value leaves the previous one ------------

  // A value written as text (environment variable or flag), or converted from TOML.
  void set_from_text(const KeySpec& spec, const std::string& text) {
    const bool is_number = spec.kind == Kind::kUnsigned;
    std::uint64_t value = 0;
    std::optional<std::string> problem =
        is_number ? parse_u64(text, &value) : string_problem(spec.kind, text);
    if (!problem && is_number && (value < spec.min || value > spec.max)) {
      problem = "must be " +
                (spec.max == kNoMax
                     ? "at least " + std::to_string(spec.min)
                     : "between " + std::to_string(spec.min) + " and " + std::to_string(spec.max)) +
                ", got " + text;
    }
    if (problem) {
      error(spec.full_key(), *problem);
    } else if (is_number) {
      config_.*spec.u64 = value;
    } else {
      config_.*spec.str = text;
    }
    settled(spec.full_key(), !problem);
  }

  // A value from the TOML file: its TOML type must match, then it is checked like text (so a
  // negative integer gets the same "is negative" reason as in the environment).
  void set_from_toml(const KeySpec& spec, const toml::node& node) {
    const bool is_number = spec.kind == Kind::kUnsigned;
    if (is_number ? !node.is_integer() : !node.is_string()) {
      error(spec.full_key(), std::string(is_number ? "must be an integer" : "must be a string") +
                                 ", got " + toml_type_name(node));
      return settled(spec.full_key(), false);
    }
    set_from_text(spec,
                  is_number ? std::to_string(node.as_integer()->get()) : node.as_string()->get());
  }

  // ---- the peers table: replaced as a whole, and only when every entry is well-formed ---------

  // An empty table is accepted here and reported by check_combined() as missing peers.
  void set_peers(std::vector<PeerConfig> peers, bool ok) {
    if (ok) config_.peers = std::move(peers);
    settled(kPeersKey, ok);
  }

  // Both addresses of a peer entry, whichever layer it came from; keys are `prefix` + field.
  bool check_addresses(const std::string& prefix, const PeerConfig& peer, bool ok) {
    for (auto [field, value] : {std::pair{"peer_address", &peer.peer_address},
                                std::pair{"client_address", &peer.client_address}}) {
      if (auto problem = address_problem(*value)) ok = error(prefix + field, *problem);
    }
    return ok;
  }

  void load_toml_peers(const toml::node& node) {
    const toml::array* array = node.as_array();
    if (array == nullptr || (!array->empty() && !array->is_array_of_tables())) {
      error(kPeersKey, std::string("must be an array of tables ([[peers]] entries), got ") +
                           toml_type_name(node));
      return settled(kPeersKey, false);
    }
    std::vector<PeerConfig> peers(array->size());
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::table& entry = *array->get(i)->as_table();
      const std::string prefix = "peers[" + std::to_string(i) + "].";
      bool entry_ok = true;  // only a complete, well-typed entry is worth check_addresses()
      for (auto&& [key, value] : entry) {
        const std::string name(key.str());
        std::optional<std::int64_t> id = value.value_exact<std::int64_t>();
        if (name == "id" && id && *id > 0) {
          peers[i].id = static_cast<std::uint64_t>(*id);
        } else if (name == "id") {
          entry_ok = error(prefix + name, "must be a positive integer (a node id), got " +
                                              (id ? std::to_string(*id) : toml_type_name(value)));
        } else if (name != "peer_address" && name != "client_address") {
          entry_ok =
              error(prefix + name, "unknown key; a peer has id, peer_address, client_address");
        } else if (!value.is_string()) {
          entry_ok =
              error(prefix + name, std::string("must be a string, got ") + toml_type_name(value));
        } else {
          (name == "peer_address" ? peers[i].peer_address : peers[i].client_address) =
              value.as_string()->get();
        }
      }
      for (const char* required : {"id", "peer_address", "client_address"}) {
        if (!entry.contains(required))
          entry_ok = error(prefix + required, "is required in [[peers]]");
      }
      ok = entry_ok && check_addresses(prefix, peers[i], ok);
    }
    set_peers(std::move(peers), ok);
  }

  // "id=peer_host:port/client_host:port,id=..." from PAXOSKV_PEERS or the flag `peers`.
  void load_text_peers(std::string_view text) {
    std::vector<PeerConfig> peers;
    bool ok = true;
    for (std::size_t start = 0, i = 0; start <= text.size(); ++i) {
      std::size_t comma = std::min(text.find(',', start), text.size());
      std::string_view item = text.substr(start, comma - start);
      start = comma + 1;
      const std::string prefix = "peers[" + std::to_string(i) + "]";
      std::size_t eq = item.find('=');
      std::size_t slash = item.find('/');
      if (eq == std::string_view::npos || slash == std::string_view::npos || slash < eq ||
          item.find('/', slash + 1) != std::string_view::npos) {
        ok = error(prefix,
                   quoted(item) + " is malformed; expected id=peer_host:port/client_host:port");
        continue;
      }
      PeerConfig& peer = peers.emplace_back();
      peer.peer_address = std::string(item.substr(eq + 1, slash - eq - 1));
      peer.client_address = std::string(item.substr(slash + 1));
      if (auto problem = parse_u64(item.substr(0, eq), &peer.id)) {
        ok = error(prefix + ".id", *problem);
      } else if (peer.id == 0) {
        ok = error(prefix + ".id", "must be a positive integer (a node id), got 0");
      }
      ok = check_addresses(prefix + ".", peer, ok);
    }
    set_peers(std::move(peers), ok);
  }

  // ---- the layers ------------------------------------------------------------------------------

  void load_file() {
    if (sources_.file_path.empty() && !sources_.file_text) return;
    source_ = sources_.file_path.empty() ? "inline TOML" : sources_.file_path;
    std::string text;
    if (sources_.file_text) {
      text = *sources_.file_text;
    } else {
      std::ifstream in(sources_.file_path, std::ios::binary);
      std::ostringstream contents;
      if (!in || !(contents << in.rdbuf())) {
        file_ok_ = error("", "cannot read file: " + std::string(std::strerror(errno)));
        return;
      }
      text = contents.str();
    }
    // toml++ throws on syntax errors (TOML_EXCEPTIONS; this file needs exceptions anyway).
    try {
      load_toml_root(toml::parse(text, source_));
    } catch (const toml::parse_error& e) {
      file_ok_ = error("", "TOML syntax error at line " + std::to_string(e.source().begin.line) +
                               ", column " + std::to_string(e.source().begin.column) + ": " +
                               std::string(e.description()));
    }
  }

  void load_toml_root(const toml::table& root) {
    static const std::set<std::string> sections = {"node",    "network", "consensus", "server",
                                                   "log",     "storage", "snapshot"};
    for (auto&& [key, node] : root) {
      const std::string name(key.str());
      if (name == kPeersKey) {
        load_toml_peers(node);
      } else if (!sections.count(name)) {
        error(name, node.is_table() ? "unknown section; known sections are node, network, "
                                      "consensus, server, log, storage, snapshot and [[peers]]"
                                    : "unknown top-level key; keys belong in a section such as "
                                      "[node]");
      } else if (!node.is_table()) {
        error(name, "must be a table ([" + name + "]), got " + toml_type_name(node));
      } else {
        for (auto&& [sub_key, value] : *node.as_table()) {
          const std::string full = name + "." + std::string(sub_key.str());
          if (const KeySpec* spec = find_key(full)) {
            set_from_toml(*spec, value);
          } else {
            error(full, "unknown key in section [" + name + "]");
          }
        }
      }
    }
  }

  void load_env(const std::string& name, const std::string& value) {
    if (name.rfind(kEnvPrefix, 0) != 0 || name == kClientEnv) return;
    source_ = "environment " + name;
    if (name == kPeersEnv) return load_text_peers(value);
    for (const KeySpec& spec : kKeys) {
      if (env_name(spec) == name) return set_from_text(spec, value);
    }
    error(name,
          "unknown PAXOSKV_ environment variable; names are PAXOSKV_<SECTION>_<KEY> in "
          "upper case, e.g. PAXOSKV_NODE_ID, or PAXOSKV_PEERS");
  }

  void load_override(const std::string& key, const std::string& value) {
    source_ = "flag " + key;
    if (key == kPeersKey) return load_text_peers(value);
    if (const KeySpec* spec = find_key(key)) return set_from_text(*spec, value);
    error(key, "unknown key; overrides are section.key, e.g. node.id, or peers");
  }

  // ---- checks across keys ----------------------------------------------------------------------

  std::string origin_of(const std::string& key) const {
    auto it = origin_.find(key);
    return it == origin_.end() ? "defaults" : it->second;
  }

  void check_combined() {
    source_ = kCombined;
    // Membership checks are skipped for a key whose own value was rejected: they would only
    // restate that error.
    bool membership_ok = !bad_.count("node.id") && !bad_.count(kPeersKey);
    if (!bad_.count("node.id") && config_.node_id == 0) {
      error("node.id", "is required: set [node] id, PAXOSKV_NODE_ID or the flag node.id");
      membership_ok = false;
    }
    if (!bad_.count(kPeersKey)) {
      if (config_.peers.empty()) {
        error(kPeersKey,
              "are required: list every member, this node included, as "
              "[[peers]] entries, in PAXOSKV_PEERS or with the flag peers");
        membership_ok = false;
      }
      membership_ok = check_peer_duplicates() && membership_ok;
      source_ = kCombined;
    }
    if (membership_ok &&
        std::none_of(config_.peers.begin(), config_.peers.end(),
                     [&](const PeerConfig& p) { return p.id == config_.node_id; })) {
      std::string ids;
      for (const PeerConfig& p : config_.peers)
        ids += (ids.empty() ? "" : ", ") + std::to_string(p.id);
      error("node.id", "node id " + std::to_string(config_.node_id) + " (from " +
                           origin_of("node.id") + ") is not among the peers (ids " + ids +
                           ", from " + origin_of(kPeersKey) + ")");
      membership_ok = false;
    }
    if (config_.peer_listen == config_.client_listen) {
      error("network.client_listen",
            "must differ from network.peer_listen (both are " + config_.peer_listen + ")");
    }
    // A full batch plus its framing must fit in one frame or the leader could build a message no
    // follower accepts; and the peer queue must hold at least one maximal frame.
    if (config_.batch_bytes_max >= config_.max_frame_bytes) {
      error("consensus.batch_bytes_max", "must be smaller than network.max_frame_bytes (" +
                                             std::to_string(config_.max_frame_bytes) +
                                             ") so a full batch fits in one frame");
    }
    if (config_.peer_queue_bytes_max < config_.max_frame_bytes) {
      error("network.peer_queue_bytes_max", "must be at least network.max_frame_bytes (" +
                                                std::to_string(config_.max_frame_bytes) +
                                                ") so one full frame can be queued");
    }
    // The core's own rules (quorum sizes against the membership, pipeline >= batch, ...). Skipped
    // when the membership is already wrong, which it would only report again.
    if (membership_ok) {
      for (const std::string& problem : config_.to_paxos_config().validate()) {
        error(key_for_core_problem(problem), problem);
      }
    }
  }

  // Duplicate ids, and any address used twice (two peers, or one peer's two ports).
  bool check_peer_duplicates() {
    source_ = origin_of(kPeersKey);  // these problems are in that one layer's table
    bool ok = true;
    std::map<std::uint64_t, std::size_t> ids;
    std::map<std::string, std::string> addresses;  // address -> key that first used it
    for (std::size_t i = 0; i < config_.peers.size(); ++i) {
      const PeerConfig& peer = config_.peers[i];
      const std::string prefix = "peers[" + std::to_string(i) + "]";
      if (auto [it, fresh] = ids.emplace(peer.id, i); !fresh) {
        ok = error(prefix + ".id", "duplicates the id " + std::to_string(peer.id) + " of peers[" +
                                       std::to_string(it->second) + "]");
      }
      for (auto [field, value] : {std::pair{".peer_address", &peer.peer_address},
                                  std::pair{".client_address", &peer.client_address}}) {
        if (auto [it, fresh] = addresses.emplace(*value, prefix + field); !fresh) {
          ok = error(prefix + field, "duplicates the address " + *value + " of " + it->second);
        }
      }
    }
    return ok;
  }

  // Names the key a paxos::Config::validate() sentence is about: those sentences start with
  // the core's field name ("pipeline_entries_max must be ..."), which is ours in [consensus].
  static std::string key_for_core_problem(const std::string& problem) {
    const std::string field = problem.substr(0, problem.find(' '));
    if (field == "node_id") return "node.id";
    if (field == "nodes") return kPeersKey;
    return find_key("consensus." + field) ? "consensus." + field : "consensus";
  }

  const ConfigSources& sources_;
  ServerConfig config_;
  std::vector<ConfigError> errors_;
  std::string source_;                         // the layer being read, for error()
  std::map<std::string, std::string> origin_;  // key -> source of its current value
  std::set<std::string> bad_;                  // keys whose highest-precedence setting was rejected
  bool file_ok_ = true;  // false: unreadable or unparsable, so its keys are unknown
};

}  // namespace

const PeerConfig& ServerConfig::self() const {
  for (const PeerConfig& peer : peers) {
    if (peer.id == node_id) return peer;
  }
  throw std::logic_error("ServerConfig::self(): node id " + std::to_string(node_id) +
                         " is not among the peers; validate the configuration first");
}

paxos::Config ServerConfig::to_paxos_config() const {
  paxos::Config c;
  c.node_id = paxos::NodeId(node_id);
  for (const PeerConfig& peer : peers) c.nodes.push_back(paxos::NodeId(peer.id));
  c.config_id = paxos::ConfigId(1);
  c.leader_priority = leader_priority;
  c.read_quorum_size = read_quorum_size;
  c.write_quorum_size = write_quorum_size;
  // The loader bounds both tick counts well below 2^32 (see kKeys).
  c.election_timeout_ticks = static_cast<std::uint32_t>(election_timeout_ticks);
  c.resend_timeout_ticks = static_cast<std::uint32_t>(resend_timeout_ticks);
  c.batch_entries_max = batch_entries_max;
  c.batch_bytes_max = batch_bytes_max;
  c.pipeline_entries_max = pipeline_entries_max;
  c.proposal_buffer_entries_max = proposal_buffer_entries_max;
  return c;
}

ConfigLoad load_server_config(const ConfigSources& sources) {
  return Loader(sources).run();
}

std::vector<std::pair<std::string, std::string>> process_environment() {
  std::vector<std::pair<std::string, std::string>> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    result.emplace_back(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return result;
}

std::string format_config_errors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) {
    out += e.source + ": ";
    if (!e.key.empty()) out += e.key + ": ";  // file-level errors (unreadable, syntax) have no key
    out += e.reason + "\n";
  }
  return out;
}

}  // namespace paxoskv
