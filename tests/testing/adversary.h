// Scripted corrupt parties for protocol tests. A corrupt party runs the honest protocol code; the
// strategies here sit between it and the in-process network (net::Interceptor) and rewrite,
// withhold or equivocate its outgoing messages per round and receiver. Strategies that need
// protocol knowledge parse the messages of proto/mpc.proto, as an attacker reading the wire would.
//
//   hub.SetInterceptor(4, testing::WrongShares());
//   hub.SetInterceptor(4, testing::Chain({testing::OnlyTo(0, {1, 2}), ...}));
#ifndef KMS_TESTS_TESTING_ADVERSARY_H_
#define KMS_TESTS_TESTING_ADVERSARY_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "algebra/galois_ring.h"
#include "algebra/shamir.h"
#include "mpc/wire.h"
#include "net/in_process_network.h"
#include "proto/mpc.pb.h"

namespace kms::testing {

using net::Interceptor;
using net::Payload;
using net::Role;
using net::Tag;

// Applies `steps` in order; a withheld message stops the chain.
inline Interceptor Chain(std::vector<Interceptor> steps) {
  return [steps = std::move(steps)](Role to, const Tag& tag,
                                    const Payload& payload) -> std::optional<Payload> {
    Payload p = payload;
    for (const auto& step : steps) {
      auto next = step(to, tag, p);
      if (!next) return std::nullopt;
      p = *next;
    }
    return p;
  };
}

// In round `round`, the message reaches only `receivers`; other rounds are untouched.
inline Interceptor OnlyTo(uint64_t round, std::set<Role> receivers) {
  return [round, receivers = std::move(receivers)](
             Role to, const Tag& tag, const Payload& payload) -> std::optional<Payload> {
    if (tag.round == round && !receivers.contains(to)) return std::nullopt;
    return payload;
  };
}

// In round `round`, every receiver in `receivers` also gets (instead of this round's message) the
// message this party sent it in round `from_round` — a replayed vote, say.
inline Interceptor Replay(uint64_t from_round, uint64_t round, std::set<Role> receivers) {
  auto sent = std::make_shared<std::map<Role, Payload>>();
  return [=](Role to, const Tag& tag, const Payload& payload) -> std::optional<Payload> {
    if (tag.round == from_round) (*sent)[to] = payload;
    if (tag.round == round && receivers.contains(to) && sent->contains(to)) return sent->at(to);
    return payload;
  };
}

// Rewrites the ring vector of a ShareMessage (directly unless `broadcast_only`, or inside a
// broadcast's first-round BroadcastSend) with f(values); nullopt for other payloads. Only
// vectors of `R` elements that parse exactly count, so echoes, votes and other messages are
// never hit.
template <typename R>
std::optional<std::string> RewriteShares(const std::string& bytes,
                                         const std::function<void(std::vector<R>&)>& f,
                                         bool broadcast_only = false) {
  kms::mpc::v1::ShareMessage msg;
  if (!broadcast_only && msg.ParseFromString(bytes) && msg.has_shares() &&
      msg.shares().element_size() == static_cast<uint32_t>(R::kEncodedSize) &&
      msg.shares().count() > 0 &&
      msg.shares().packed().size() == static_cast<size_t>(msg.shares().count()) * R::kEncodedSize) {
    auto v = mpc::DecodeShares<R>(bytes, std::nullopt);
    if (!v.ok()) return std::nullopt;
    f(*v);
    return *mpc::EncodeShares<R>(*v);
  }
  kms::mpc::v1::BroadcastSend send;
  if (send.ParseFromString(bytes) && !send.message().empty()) {
    auto inner = RewriteShares<R>(send.message(), f);
    if (!inner) return std::nullopt;
    send.set_message(*inner);
    return send.SerializeAsString();
  }
  return std::nullopt;
}

// Adds a non-zero error to every share this party sends (robust opens, broadcast d values of
// the triple check, PRSS check votes), the same for every receiver. `when` limits it to some
// messages (default: all).
inline Interceptor WrongShares(std::function<bool(const Tag&)> when = {}) {
  return [when](Role, const Tag& tag, const Payload& payload) -> std::optional<Payload> {
    if (when && !when(tag)) return payload;
    auto out = RewriteShares<algebra::Gr128>(*payload, [](std::vector<algebra::Gr128>& v) {
      for (auto& x : v) x += algebra::Gr128::One();
    });
    if (!out)
      out = RewriteShares<algebra::Gr64>(*payload, [](std::vector<algebra::Gr64>& v) {
        for (auto& x : v) x += algebra::Gr64::One();
      });
    return out ? net::MakePayload(std::move(*out)) : payload;
  };
}

// The first-round message of a broadcast in round `round` differs for every receiver.
inline Interceptor EquivocateBroadcast(uint64_t round) {
  return [round](Role to, const Tag& tag, const Payload& payload) -> std::optional<Payload> {
    kms::mpc::v1::BroadcastSend send;
    if (tag.round != round || !send.ParseFromString(*payload)) return payload;
    send.mutable_message()->push_back(static_cast<char>(to));
    return net::MakePayload(send.SerializeAsString());
  };
}

// The triple-check attack on error-correcting decoders: the corrupt parties `corrupt` add
// E(alpha_i) to the d_i they broadcast in round `round`, E = prod_{j in H'} (X - alpha_j) over the
// first 2t honest roles. The word then lies on the degree-2t polynomial d + E except at the
// n - 3t honest shares outside H', so a decoder that corrects (n - 2t - 1) / 2 >= n - 3t errors
// returns d + E(0): a wrong product that every party accepts. `me` is the interceptor's party.
// Every broadcast vector of Gr128 is shifted (the d vectors of every triple batch; the PRSS
// check votes too, which the check then catches).
inline Interceptor TripleCodewordShift(int n, int t, const std::set<Role>& corrupt, Role me) {
  using R = algebra::Gr128;
  std::vector<Role> roots;
  for (Role r = 1; r <= n && static_cast<int>(roots.size()) < 2 * t; ++r)
    if (!corrupt.contains(r)) roots.push_back(r);
  R e = R::One();
  for (Role j : roots) e *= algebra::PartyPoint<R>(me) - algebra::PartyPoint<R>(j);
  return [e](Role, const Tag&, const Payload& payload) -> std::optional<Payload> {
    auto out = RewriteShares<R>(
        *payload,
        [e](std::vector<R>& v) {
          for (auto& x : v) x += e;
        },
        /*broadcast_only=*/true);
    return out ? net::MakePayload(std::move(*out)) : payload;
  };
}

// VSS dealer: in round 0, the rows and columns dealt to `receivers` are altered (an inconsistent
// dealing to them).
inline Interceptor VssInconsistentTo(std::set<Role> receivers) {
  return [receivers = std::move(receivers)](Role to, const Tag& tag,
                                            const Payload& payload) -> std::optional<Payload> {
    kms::mpc::v1::VssRound1 msg;
    if (tag.round != 0 || !receivers.contains(to) || !msg.ParseFromString(*payload)) return payload;
    for (auto* v : {msg.mutable_rows(), msg.mutable_columns()})
      for (size_t i = 0; i < v->packed().size(); i += algebra::Gr128::kEncodedSize)
        (*v->mutable_packed())[i] ^= 0x5a;
    return net::MakePayload(msg.SerializeAsString());
  };
}

// Records every message this party sends, per receiver and round (what an adversary among the
// receivers sees of it).
using SentLog = std::map<Role, std::map<uint64_t, Payload>>;
inline Interceptor Record(std::shared_ptr<SentLog> log) {
  return [log](Role to, const Tag& tag, const Payload& payload) -> std::optional<Payload> {
    (*log)[to][tag.round] = payload;
    return payload;
  };
}

// VSS: the claims this party `me` broadcasts about other dealers (first round of the claims
// broadcast, `round`) state other values than it holds, so it lands among the unhappy parties of
// every disputed dealer; as a dealer it claims the truth.
inline Interceptor VssWrongClaims(Role me, uint64_t round) {
  return [me, round](Role, const Tag& tag, const Payload& payload) -> std::optional<Payload> {
    kms::mpc::v1::BroadcastSend send;
    kms::mpc::v1::VssClaims claims;
    if (tag.round != round || !send.ParseFromString(*payload) ||
        !claims.ParseFromString(send.message()) || claims.dealer_size() == 0)
      return payload;
    auto* values = claims.mutable_values()->mutable_packed();
    const size_t per_entry = values->size() / static_cast<size_t>(claims.dealer_size());
    for (int e = 0; e < claims.dealer_size(); ++e) {
      if (static_cast<Role>(claims.dealer(e)) == me) continue;
      for (size_t i = 0; i < per_entry; i += algebra::Gr128::kEncodedSize)
        (*values)[e * per_entry + i] ^= 1;
    }
    send.set_message(claims.SerializeAsString());
    return net::MakePayload(send.SerializeAsString());
  };
}

// VSS dealer: refuses to resolve disputes — its claims (round `claims_round`) and resolution
// (round `resolution_round`) broadcasts carry nothing.
inline Interceptor VssRefuseResolution(uint64_t claims_round, uint64_t resolution_round) {
  return [=](Role, const Tag& tag, const Payload& payload) -> std::optional<Payload> {
    kms::mpc::v1::BroadcastSend send;
    if (tag.round == claims_round && send.ParseFromString(*payload)) {
      send.set_message(kms::mpc::v1::VssClaims().SerializeAsString());
      return net::MakePayload(send.SerializeAsString());
    }
    if (tag.round == resolution_round && send.ParseFromString(*payload)) {
      send.set_message(kms::mpc::v1::VssResolution().SerializeAsString());
      return net::MakePayload(send.SerializeAsString());
    }
    return payload;
  };
}

}  // namespace kms::testing

#endif  // KMS_TESTS_TESTING_ADVERSARY_H_
