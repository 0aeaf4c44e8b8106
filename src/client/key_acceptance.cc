#include "client/key_acceptance.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/absl_compat_internal.h"
#include "client/request_id.h"
#include "client/response_verification.h"
#include "common/bytes.h"

namespace kms::client {
namespace {

// One counted signature.
struct Vote {
  size_t index = 0;
  uint32_t party_id = 0;
};

// What a result states, apart from the ids: the signed digest, set name and insecure mark.
std::string StatementKey(const v1::KeyGenResult& r) {
  return absl::StrCat(ToHex(AsBytes(r.public_key_digest())), "/", r.fhe_parameter(), "/",
                      r.insecure() ? "insecure" : "secure");
}

std::string DescribeStatement(const v1::KeyGenResult& r) {
  return absl::StrCat(ToHex(AsBytes(r.public_key_digest())), " (parameters \"", r.fhe_parameter(),
                      "\"", r.insecure() ? ", insecure" : "", ")");
}

std::string Problems(const std::vector<std::string>& problems) {
  return problems.empty() ? "" : absl::StrCat("; ", absl::StrJoin(problems, "; "));
}

}  // namespace

std::vector<v1::Eip712Domain> KeyGenResultDomains() {
  v1::Eip712Domain server_default;
  server_default.set_name("KMS");
  server_default.set_version("1");
  return {DefaultClientDomain(), server_default};
}

absl::StatusOr<KeyEndorsement> TallyKeyGenResults(std::string_view key_id, uint32_t t,
                                                  std::span<const PartyKeyGenAnswer> answers,
                                                  std::span<const v1::Eip712Domain> domains) {
  KeyEndorsement out;
  out.key_id = std::string(key_id);
  out.required = static_cast<size_t>(t) + 1;
  absl::StatusOr<crypto::Digest> want_key = IdToDigest(key_id, "key id");
  if (!want_key.ok()) return want_key.status();

  std::map<std::string, std::vector<Vote>> statements;
  std::map<crypto::EthAddress, size_t> counted;  // signer -> the answer it counted for
  for (size_t i = 0; i < answers.size(); ++i) {
    const PartyKeyGenAnswer& a = answers[i];
    if (!a.result.ok()) {
      out.problems.push_back(absl::StrCat(a.name, ": ", a.result.status().message()));
      continue;
    }
    const v1::KeyGenResult& r = *a.result;
    if (!a.pin.has_value()) {
      out.problems.push_back(
          absl::StrCat(a.name,
                       ": no signer address is known for this party; its result does "
                       "not count"));
      continue;
    }
    if (absl::Status s = CheckKeyGenResultFields(key_id, r); !s.ok()) {
      out.problems.push_back(absl::StrCat(a.name, ": ", s.message()));
      continue;
    }
    absl::StatusOr<crypto::Digest> named = IdToDigest(r.key_id(), "key_id");
    if (!named.ok() || *named != *want_key) {
      out.problems.push_back(absl::StrCat(a.name, ": keygen result.key_id: names key ", r.key_id(),
                                          ", not ", Av(key_id)));
      continue;
    }
    // The signer under each accepted domain; the pinned one must be among them.
    bool matched = false;
    std::optional<crypto::EthAddress> shown;
    absl::Status recover_error = absl::OkStatus();
    absl::StatusOr<crypto::EthAddress> claimed = crypto::ParseEthAddress(r.signer_address());
    for (const v1::Eip712Domain& domain : domains) {
      absl::StatusOr<crypto::EthAddress> signer = RecoverKeyGenSigner(r, domain);
      if (!signer.ok()) {
        recover_error = signer.status();
        continue;
      }
      if (*signer == a.pin->signer) {
        matched = true;
        break;
      }
      // For the message: the address the party claims, when a domain recovers to it, tells the
      // operator which key signed; otherwise the recovery under the first domain.
      if (!shown.has_value() || (claimed.ok() && *signer == *claimed)) shown = *signer;
    }
    if (!matched) {
      if (!shown.has_value()) {
        out.problems.push_back(absl::StrCat(a.name, ": ", recover_error.message()));
      } else {
        out.problems.push_back(absl::StrCat(a.name, ": signer ", crypto::ChecksumAddress(*shown),
                                            " is not the pinned ",
                                            crypto::ChecksumAddress(a.pin->signer)));
      }
      continue;
    }
    auto [it, inserted] = counted.emplace(a.pin->signer, i);
    if (!inserted) {
      out.problems.push_back(absl::StrCat(a.name, ": signer ",
                                          crypto::ChecksumAddress(a.pin->signer),
                                          " already counted for ", answers[it->second].name));
      continue;
    }
    statements[StatementKey(r)].push_back({i, a.pin->party_id});
  }

  const std::vector<Vote>* best = nullptr;
  size_t qualified = 0;
  for (const auto& [unused, votes] : statements) {
    if (best == nullptr || votes.size() > best->size()) best = &votes;
    qualified += votes.size() >= out.required;
  }
  if (best == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "public key ", Av(key_id), ": only 0 of the t + 1 = ", out.required,
        " required parties signed a key generation result for it", Problems(out.problems)));
  }
  if (qualified > 1) {
    return absl::AbortedError(
        absl::StrCat("public key ", Av(key_id), ": ", qualified,
                     " different public keys each carry at least t + 1 = ", out.required,
                     " pinned signatures; more than t parties are "
                     "misbehaving",
                     Problems(out.problems)));
  }
  const v1::KeyGenResult& chosen = *answers[best->front().index].result;
  for (const auto& [unused, votes] : statements) {
    if (&votes == best) continue;
    for (const Vote& v : votes) {
      out.problems.push_back(absl::StrCat(answers[v.index].name, ": signed digest ",
                                          DescribeStatement(*answers[v.index].result),
                                          ", not the digest the others signed"));
    }
  }
  if (best->size() < out.required) {
    return absl::FailedPreconditionError(absl::StrCat(
        "public key ", Av(key_id), ": only ", best->size(), " of the t + 1 = ", out.required,
        " required parties signed digest ", DescribeStatement(chosen), Problems(out.problems)));
  }
  out.public_key_digest = chosen.public_key_digest();
  out.fhe_parameter = chosen.fhe_parameter();
  out.insecure = chosen.insecure();
  for (const Vote& v : *best) {
    out.endorsers.push_back(v.index);
    out.party_ids.push_back(v.party_id);
  }
  std::sort(out.party_ids.begin(), out.party_ids.end());
  return out;
}

absl::Status CheckEndorsedKeyBytes(const KeyEndorsement& endorsement, std::string_view public_key,
                                   std::string_view source) {
  const crypto::Digest digest = PublicKeyDigest(AsBytes(public_key));
  if (std::string(digest.begin(), digest.end()) == endorsement.public_key_digest) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("public key ", endorsement.key_id, ": the ", public_key.size(),
                   " key bytes from ", Av(source), " hash to ", ToHex(digest), ", not to ",
                   ToHex(AsBytes(endorsement.public_key_digest)), " that ",
                   endorsement.endorsers.size(), " pinned parties signed"));
}

}  // namespace kms::client
