// RapidCheck generators for every wire type. Strings are arbitrary bytes (not just printable
// text), since keys, values and log entries are binary.
#pragma once

#include <rapidcheck.h>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/protocol.h"
#include "paxos/messages.h"
#include "paxos/types.h"

namespace paxoskv::testing {

inline rc::Gen<std::string> binary_string() {
  return rc::gen::container<std::string>(rc::gen::arbitrary<char>());
}

inline rc::Gen<std::vector<std::string>> entries() {
  return rc::gen::container<std::vector<std::string>>(binary_string());
}

template <class T>
rc::Gen<std::optional<T>> optional_of(rc::Gen<T> gen) {
  return rc::gen::oneOf(rc::gen::just(std::optional<T>()), rc::gen::map(std::move(gen), [](T v) {
                          return std::optional<T>(std::move(v));
                        }));
}

}  // namespace paxoskv::testing

namespace rc {

template <typename Tag, typename Rep>
struct Arbitrary<paxoskv::paxos::StrongId<Tag, Rep>> {
  static Gen<paxoskv::paxos::StrongId<Tag, Rep>> arbitrary() {
    return gen::construct<paxoskv::paxos::StrongId<Tag, Rep>>(gen::arbitrary<Rep>());
  }
};

template <>
struct Arbitrary<paxoskv::paxos::LogIndex> {
  static Gen<paxoskv::paxos::LogIndex> arbitrary() {
    return gen::construct<paxoskv::paxos::LogIndex>(gen::arbitrary<std::uint64_t>());
  }
};

template <>
struct Arbitrary<paxoskv::paxos::Ballot> {
  static Gen<paxoskv::paxos::Ballot> arbitrary() {
    using paxoskv::paxos::Ballot;
    return gen::build<Ballot>(gen::set(&Ballot::config_id), gen::set(&Ballot::n),
                              gen::set(&Ballot::priority), gen::set(&Ballot::pid));
  }
};

// Entry vectors are given binary contents explicitly; everything else uses its own Arbitrary.
#define PAXOSKV_ARBITRARY(Type, ...)                                       \
  template <>                                                              \
  struct Arbitrary<Type> {                                                 \
    static Gen<Type> arbitrary() { return gen::build<Type>(__VA_ARGS__); } \
  };

namespace px = paxoskv::paxos;
PAXOSKV_ARBITRARY(px::HeartbeatRequest, gen::set(&px::HeartbeatRequest::round))
PAXOSKV_ARBITRARY(px::HeartbeatReply, gen::set(&px::HeartbeatReply::round),
                  gen::set(&px::HeartbeatReply::ballot), gen::set(&px::HeartbeatReply::leader),
                  gen::set(&px::HeartbeatReply::happy))
PAXOSKV_ARBITRARY(px::Prepare, gen::set(&px::Prepare::ballot), gen::set(&px::Prepare::decided_idx),
                  gen::set(&px::Prepare::accepted_round), gen::set(&px::Prepare::accepted_idx))
PAXOSKV_ARBITRARY(px::Promise, gen::set(&px::Promise::ballot),
                  gen::set(&px::Promise::accepted_round), gen::set(&px::Promise::accepted_idx),
                  gen::set(&px::Promise::decided_idx), gen::set(&px::Promise::suffix_start),
                  gen::set(&px::Promise::suffix, paxoskv::testing::entries()))
PAXOSKV_ARBITRARY(px::AcceptSync, gen::set(&px::AcceptSync::ballot), gen::set(&px::AcceptSync::seq),
                  gen::set(&px::AcceptSync::decided_idx), gen::set(&px::AcceptSync::sync_idx),
                  gen::set(&px::AcceptSync::suffix, paxoskv::testing::entries()))
PAXOSKV_ARBITRARY(px::AcceptDecide, gen::set(&px::AcceptDecide::ballot),
                  gen::set(&px::AcceptDecide::seq), gen::set(&px::AcceptDecide::decided_idx),
                  gen::set(&px::AcceptDecide::start_idx),
                  gen::set(&px::AcceptDecide::entries, paxoskv::testing::entries()))
PAXOSKV_ARBITRARY(px::Accepted, gen::set(&px::Accepted::ballot),
                  gen::set(&px::Accepted::accepted_idx))
PAXOSKV_ARBITRARY(px::Decide, gen::set(&px::Decide::ballot), gen::set(&px::Decide::seq),
                  gen::set(&px::Decide::decided_idx))
PAXOSKV_ARBITRARY(px::PrepareReq, gen::set(&px::PrepareReq::promise))
PAXOSKV_ARBITRARY(px::NotAccepted, gen::set(&px::NotAccepted::promise))
PAXOSKV_ARBITRARY(px::ProposalForward, gen::set(&px::ProposalForward::ballot),
                  gen::set(&px::ProposalForward::session), gen::set(&px::ProposalForward::seq),
                  gen::set(&px::ProposalForward::entries, paxoskv::testing::entries()))

namespace kv = paxoskv;
PAXOSKV_ARBITRARY(kv::Compare,
                  gen::set(&kv::Compare::target,
                           gen::element(kv::Compare::Target::kValue, kv::Compare::Target::kVersion,
                                        kv::Compare::Target::kModRevision,
                                        kv::Compare::Target::kCreateRevision)),
                  gen::set(&kv::Compare::value, paxoskv::testing::binary_string()),
                  gen::set(&kv::Compare::number))
PAXOSKV_ARBITRARY(kv::Request, gen::set(&kv::Request::client_id), gen::set(&kv::Request::seq),
                  gen::set(&kv::Request::first_unacked_seq),
                  gen::set(&kv::Request::op,
                           gen::element(kv::Op::kPut, kv::Op::kGet, kv::Op::kDelete,
                                        kv::Op::kDeleteRange, kv::Op::kCas, kv::Op::kRange,
                                        kv::Op::kStatus)),
                  gen::set(&kv::Request::key, paxoskv::testing::binary_string()),
                  gen::set(&kv::Request::range_end, paxoskv::testing::binary_string()),
                  gen::set(&kv::Request::value, paxoskv::testing::binary_string()),
                  gen::set(&kv::Request::prev_kv), gen::set(&kv::Request::limit),
                  gen::set(&kv::Request::serializable), gen::set(&kv::Request::compare),
                  gen::set(&kv::Request::timeout_ms))
PAXOSKV_ARBITRARY(kv::KeyValue, gen::set(&kv::KeyValue::key, paxoskv::testing::binary_string()),
                  gen::set(&kv::KeyValue::value, paxoskv::testing::binary_string()),
                  gen::set(&kv::KeyValue::create_revision), gen::set(&kv::KeyValue::mod_revision),
                  gen::set(&kv::KeyValue::version))
PAXOSKV_ARBITRARY(kv::NodeStatus, gen::set(&kv::NodeStatus::node_id),
                  gen::set(&kv::NodeStatus::client_address),
                  gen::set(&kv::NodeStatus::peer_address), gen::set(&kv::NodeStatus::pid),
                  gen::set(&kv::NodeStatus::role), gen::set(&kv::NodeStatus::phase),
                  gen::set(&kv::NodeStatus::leader_id), gen::set(&kv::NodeStatus::ballot),
                  gen::set(&kv::NodeStatus::decided_idx), gen::set(&kv::NodeStatus::applied_idx),
                  gen::set(&kv::NodeStatus::log_end), gen::set(&kv::NodeStatus::connected_peers),
                  gen::set(&kv::NodeStatus::revision))
PAXOSKV_ARBITRARY(
    kv::Response, gen::set(&kv::Response::seq),
    gen::set(&kv::Response::status,
             gen::map(gen::inRange(0, 10), [](int s) { return static_cast<kv::Status>(s); })),
    gen::set(&kv::Response::error), gen::set(&kv::Response::leader_hint),
    gen::set(&kv::Response::leader_address), gen::set(&kv::Response::revision),
    gen::set(&kv::Response::kvs),
    gen::set(&kv::Response::prev_kv, paxoskv::testing::optional_of(gen::arbitrary<kv::KeyValue>())),
    gen::set(&kv::Response::succeeded), gen::set(&kv::Response::deleted),
    gen::set(&kv::Response::more),
    gen::set(&kv::Response::node, paxoskv::testing::optional_of(gen::arbitrary<kv::NodeStatus>())))
PAXOSKV_ARBITRARY(kv::PeerHello, gen::set(&kv::PeerHello::cluster_id),
                  gen::set(&kv::PeerHello::node_id))
#undef PAXOSKV_ARBITRARY

}  // namespace rc

namespace paxoskv::testing {

// A payload alternative with no spelled-out generator (one added to messages.h after these tests
// were written) still round-trips as a default-constructed value, rather than breaking the build
// of a concurrent change. (Asking rc::Arbitrary<T> itself would static_assert.)
template <class T, class... Known>
constexpr bool one_of(std::tuple<Known...>*) {
  return (std::is_same_v<T, Known> || ...);
}
using SpelledOutPayloads =
    std::tuple<paxos::HeartbeatRequest, paxos::HeartbeatReply, paxos::Prepare, paxos::Promise,
               paxos::AcceptSync, paxos::AcceptDecide, paxos::Accepted, paxos::Decide,
               paxos::PrepareReq, paxos::NotAccepted, paxos::ProposalForward>;

template <class T>
rc::Gen<T> payload_alternative() {
  if constexpr (one_of<T>(static_cast<SpelledOutPayloads*>(nullptr))) {
    return rc::gen::arbitrary<T>();
  } else {
    return rc::gen::just(T{});
  }
}

template <class... Ts>
rc::Gen<std::variant<Ts...>> variant_of(std::type_identity<std::variant<Ts...>>) {
  return rc::gen::oneOf(rc::gen::map(payload_alternative<Ts>(), [](Ts v) {
    return std::variant<Ts...>(std::in_place_type<Ts>, std::move(v));
  })...);
}

inline rc::Gen<paxos::Message> message() {
  using paxos::Message;
  return rc::gen::build<Message>(
      rc::gen::set(&Message::from), rc::gen::set(&Message::to), rc::gen::set(&Message::config_id),
      rc::gen::set(&Message::payload, variant_of(std::type_identity<paxos::Payload>{})));
}

}  // namespace paxoskv::testing
