#include "client/cluster_client.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/absl_compat_internal.h"
#include "client/request_id.h"
#include "client/response_verification.h"
#include "common/status_macros.h"

namespace kms::client {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds Remaining(Clock::time_point deadline) {
  return std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
}

// How long one GetXResult call may block: the server itself waits up to its result_wait_secs
// (60 s by default) before answering UNAVAILABLE, so a poll is allowed a little longer than that
// but never past the overall deadline.
constexpr milliseconds kMaxPollCall{65000};
// NOT_FOUND right after a successful start is a result not registered yet; later it is final.
constexpr milliseconds kNotFoundGrace{5000};

// One line per party under a summary line.
std::string Join(const std::vector<std::string>& lines) {
  if (lines.empty()) return "";
  return absl::StrCat("\n  - ", absl::StrJoin(lines, "\n  - "));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClusterClient>> ClusterClient::Create(
    const std::vector<std::string>& addresses, const ClientOptions& options) {
  if (addresses.empty()) return absl::InvalidArgumentError("no party addresses given");
  std::vector<std::unique_ptr<CoreClient>> parties;
  std::set<std::string> seen;
  for (const std::string& address : addresses) {
    KMS_ASSIGN_OR_RETURN(std::unique_ptr<CoreClient> c, CoreClient::Create(address, options));
    if (!seen.insert(c->address()).second) {
      return absl::InvalidArgumentError(absl::StrCat("address ", c->address(), " given twice"));
    }
    parties.push_back(std::move(c));
  }
  return std::unique_ptr<ClusterClient>(new ClusterClient(std::move(parties)));
}

std::string ClusterClient::PartyName(size_t i) {
  if (pins_.has_value() && i < pins_->size() && (*pins_)[i].party_id != 0) {
    return absl::StrCat("party ", (*pins_)[i].party_id, " (", parties_[i]->address(), ")");
  }
  if (operator_keys_.has_value() && i < operator_keys_->size()) {
    const auto& key = (*operator_keys_)[i].value;
    if (key.ok() && key->party_id() != 0) {
      return absl::StrCat("party ", key->party_id(), " (", parties_[i]->address(), ")");
    }
  }
  return parties_[i]->address();
}

absl::Status ClusterClient::Stripped(size_t i, const absl::Status& status) {
  absl::string_view message = status.message();
  absl::ConsumePrefix(&message, absl::StrCat(parties_[i]->address(), ": "));
  return absl::Status(status.code(), message);
}

std::string ClusterClient::PartyProblem(size_t i, const absl::Status& status) {
  absl::string_view message = status.message();
  absl::ConsumePrefix(&message, absl::StrCat(parties_[i]->address(), ": "));
  return absl::StrCat(PartyName(i), ": ", message);
}

std::vector<std::string> ClusterClient::PartyNames() {
  std::vector<std::string> names;
  for (size_t i = 0; i < parties_.size(); ++i) names.push_back(PartyName(i));
  return names;
}

absl::Status ClusterClient::StartAndPoll(
    CoreClient& c, const std::string& start_rpc, const google::protobuf::Message& request,
    const std::string& result_rpc, const std::string& request_id, milliseconds timeout,
    google::protobuf::Message* result, const std::function<void(const absl::Status&)>& on_pending) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + timeout;
  // Start: RESOURCE_EXHAUSTED (rate limit) is retried; ALREADY_EXISTS means an earlier attempt
  // of this same request got through, so its result is polled.
  while (true) {
    v1::Empty empty;
    absl::Status s = c.Call(
        start_rpc, request, &empty,
        std::min(c.options().request_timeout, std::max(Remaining(deadline), milliseconds(1))));
    if (s.ok() || s.code() == absl::StatusCode::kAlreadyExists) break;
    if (s.code() == absl::StatusCode::kResourceExhausted && Remaining(deadline).count() > 500) {
      std::this_thread::sleep_for(milliseconds(500));
      continue;
    }
    return s;
  }
  v1::RequestId id;
  id.set_request_id(request_id);
  while (true) {
    const milliseconds remaining = Remaining(deadline);
    if (remaining.count() <= 0) {
      return absl::DeadlineExceededError(absl::StrCat(
          c.address(), ": ", result_rpc, ": not finished after ", FormatSeconds(timeout)));
    }
    const Clock::time_point call_start = Clock::now();
    absl::Status s = c.Call(result_rpc, id, result, std::min(remaining, kMaxPollCall));
    if (s.ok()) return s;
    if (IsUnreachable(s)) return s;
    const bool still_running =
        s.code() == absl::StatusCode::kUnavailable ||
        s.code() == absl::StatusCode::kDeadlineExceeded ||
        s.code() == absl::StatusCode::kResourceExhausted ||
        (s.code() == absl::StatusCode::kNotFound && Clock::now() - start < kNotFoundGrace);
    if (!still_running) return s;
    if (on_pending) on_pending(s);
    // A server that answers UNAVAILABLE at once (no result wait) is not hammered.
    if (Clock::now() - call_start < milliseconds(200))
      std::this_thread::sleep_for(milliseconds(200));
  }
}

const std::vector<PartyResult<v1::OperatorPublicKeyResponse>>& ClusterClient::OperatorKeys() {
  if (!operator_keys_.has_value()) {
    operator_keys_ = ForEach<v1::OperatorPublicKeyResponse>(
        [](CoreClient& c, size_t) { return c.GetOperatorPublicKey(); });
  }
  return *operator_keys_;
}

absl::Status ClusterClient::PinOperators(std::vector<PinnedOperator> pins) {
  if (pins.size() != parties_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(pins.size(), " pinned operators for ", parties_.size(), " party addresses"));
  }
  std::set<crypto::EthAddress> seen;
  for (const PinnedOperator& p : pins) {
    if (!seen.insert(p.signer).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "operator address ", crypto::ChecksumAddress(p.signer), " pinned for two parties"));
    }
  }
  pins_ = std::move(pins);
  return absl::OkStatus();
}

absl::StatusOr<PinnedOperator> ClusterClient::ExpectedSigner(size_t i) {
  if (pins_.has_value()) return (*pins_)[i];
  const auto& key = OperatorKeys()[i].value;
  if (!key.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("no operator key: ", key.status().message()));
  }
  absl::StatusOr<crypto::EthAddress> address = crypto::ParseEthAddress(key->address());
  if (!address.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("operator address: ", address.status().message()));
  }
  return PinnedOperator{key->party_id(), *address};
}

absl::StatusOr<std::vector<std::optional<PinnedOperator>>> ClusterClient::KeySigners(
    std::string_view what) {
  std::vector<std::optional<PinnedOperator>> out;
  if (pins_.has_value()) {
    for (const PinnedOperator& p : *pins_) out.push_back(p);
    return out;
  }
  if (!trust_on_first_use_) {
    return absl::FailedPreconditionError(absl::StrCat(
        Av(what),
        ": no operator signing addresses are pinned, so no public key can be trusted: pin "
        "them (signer_address in every [[parties]] entry of client.toml, which kms-local "
        "writes; kms-client --signer-address for one centralized server), or explicitly trust "
        "the addresses the parties report about themselves (kms-client --trust-on-first-use)"));
  }
  for (size_t i = 0; i < parties_.size(); ++i) {
    absl::StatusOr<PinnedOperator> reported = ExpectedSigner(i);
    out.push_back(reported.ok() ? std::optional<PinnedOperator>(*reported) : std::nullopt);
  }
  return out;
}

uint32_t ClusterClient::KeyThreshold() {
  if (threshold_.has_value()) return *threshold_;
  // The parties' health answers are unsigned: one may claim t = 0 to have its own key accepted.
  // Claims can only raise the bar here, which costs availability, never safety.
  uint32_t t = static_cast<uint32_t>((parties_.size() - 1) / 3);
  for (const auto& r : ForEach<v1::HealthStatusResponse>(
           [](CoreClient&c, size_t) { return c.GetHealthStatus(); })) {
    if (r.value.ok() && r.value->peers_from_all_contexts_size() > 0) {
      t = std::max(t, r.value->peers_from_all_contexts(0).threshold());
    }
  }
  return t;
}

absl::StatusOr<uint32_t> ClusterClient::Threshold() {
  if (threshold_.has_value()) return *threshold_;
  std::vector<std::string> errors;
  for (const auto& party : parties_) {
    absl::StatusOr<v1::HealthStatusResponse> health = party->GetHealthStatus();
    if (!health.ok()) {
      errors.push_back(std::string(health.status().message()));
      continue;
    }
    if (health->peers_from_all_contexts_size() > 0) {
      threshold_ = health->peers_from_all_contexts(0).threshold();
      return *threshold_;
    }
    if (health->node_type() == v1::NODE_TYPE_CENTRALIZED) {
      threshold_ = 0;
      return 0u;
    }
  }
  return absl::UnavailableError(
      absl::StrCat("cannot learn the threshold from any party:", Join(errors)));
}

std::vector<PartyResult<v1::EpochResult>> ClusterClient::NewEpoch(const std::string& epoch_id,
                                                                  bool force,
                                                                  milliseconds timeout) {
  v1::NewMpcEpochRequest request;
  request.set_epoch_id(epoch_id);
  request.set_force(force);
  request.set_request_id(RandomRequestId());
  return RunOnAll<v1::EpochResult>("PRSS setup", "NewMpcEpoch", request, "GetEpochResult",
                                   request.request_id(), timeout);
}

absl::StatusOr<KeyGenOutcome> ClusterClient::KeyGen(const KeyGenOptions& options) {
  KeyGenOutcome outcome;
  outcome.parties_total = parties_.size();
  outcome.insecure = options.insecure;
  // Refused before anything runs when the result could not be trusted anyway.
  KMS_ASSIGN_OR_RETURN(const auto signers, KeySigners("key generation"));
  const Clock::time_point deadline = Clock::now() + options.timeout;
  auto fail = [&](std::string_view step, const std::vector<std::string>& problems) {
    return absl::FailedPreconditionError(absl::StrCat(Av(step), " failed on ", problems.size(),
                                                      " of ", parties_.size(),
                                                      " parties:", Join(problems)));
  };
  // Up to t parties may be down or misbehave: n - t agreeing parties make the key (they can
  // decrypt with it); the missing ones are reported as problems.
  KMS_ASSIGN_OR_RETURN(const uint32_t t, Threshold());
  const size_t quorum = parties_.size() - std::min<size_t>(t, parties_.size());

  if (!options.insecure) {
    v1::KeyGenPreprocRequest preproc;
    preproc.set_request_id(RandomRequestId());
    preproc.set_fhe_parameter(options.fhe_parameter);
    preproc.set_epoch_id(options.epoch_id);
    const Clock::time_point t0 = Clock::now();
    auto results = RunOnAll<v1::KeyGenPreprocResult>("preprocessing", "KeyGenPreproc", preproc,
                                                     "GetKeyGenPreprocResult", preproc.request_id(),
                                                     Remaining(deadline));
    outcome.preprocessing_time = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
    std::vector<std::string> problems;
    for (const auto& r : results) {
      if (!r.value.ok()) problems.push_back(PartyProblem(r.index, r.value.status()));
    }
    if (results.size() - problems.size() < quorum) return fail("preprocessing", problems);
    outcome.problems = problems;
    outcome.preprocessing_id = preproc.request_id();
  }

  v1::KeyGenRequest request;
  request.set_request_id(RandomRequestId());
  request.set_preprocessing_id(outcome.preprocessing_id);
  request.set_fhe_parameter(options.fhe_parameter);
  request.set_epoch_id(options.epoch_id);
  *request.mutable_domain() = DefaultClientDomain();
  const Clock::time_point t1 = Clock::now();
  auto results =
      options.insecure
          ? RunOnAll<v1::KeyGenResult>("insecure keygen", "InsecureKeyGen", request,
                                       "GetKeyGenResult", request.request_id(), Remaining(deadline))
          : RunOnAll<v1::KeyGenResult>("keygen", "KeyGen", request, "GetKeyGenResult",
                                       request.request_id(), Remaining(deadline));
  outcome.keygen_time = std::chrono::duration_cast<milliseconds>(Clock::now() - t1);

  std::vector<std::string> problems = std::move(outcome.problems);
  if (std::none_of(results.begin(), results.end(), [](const auto& r) { return r.value.ok(); })) {
    for (const auto& r : results) problems.push_back(PartyProblem(r.index, r.value.status()));
    return fail("key generation", problems);
  }
  // t + 1 distinct pinned operators must sign one key (the acceptance rule), and n - t parties
  // must hold it.
  std::vector<PartyKeyGenAnswer> answers = KeyGenAnswers(results, signers);
  const std::vector<v1::Eip712Domain> domains = {request.domain()};
  absl::StatusOr<KeyEndorsement> endorsement =
      TallyKeyGenResults(request.request_id(), KeyThreshold(), answers, domains);
  if (!endorsement.ok()) {
    std::string message(endorsement.status().message());
    for (const std::string& p : problems) {
      if (message.find(p) == std::string::npos) absl::StrAppend(&message, "; ", p);
    }
    return absl::Status(endorsement.status().code(),
                        absl::StrCat("key generation refused: ", message));
  }
  const v1::KeyGenResult& chosen = *answers[endorsement->endorsers.front()].result;
  KMS_RETURN_IF_ERROR(CheckEndorsedKeyBytes(*endorsement, chosen.public_key(),
                                            answers[endorsement->endorsers.front()].name));
  for (const std::string& p : endorsement->problems) {
    // A party that failed preprocessing fails key generation too: named once.
    if (std::find(problems.begin(), problems.end(), p) == problems.end()) problems.push_back(p);
  }
  outcome.key_id = chosen.key_id();
  outcome.public_key = chosen.public_key();
  outcome.public_key_digest_hex = ToHex(AsBytes(chosen.public_key_digest()));
  outcome.fhe_parameter = chosen.fhe_parameter();
  outcome.insecure = chosen.insecure();
  outcome.parties_agreeing = endorsement->endorsers.size();
  outcome.problems = std::move(problems);
  if (outcome.parties_agreeing < quorum) {
    return fail("key generation", outcome.problems);
  }
  return outcome;
}

std::vector<PartyKeyGenAnswer> ClusterClient::KeyGenAnswers(
    const std::vector<PartyResult<v1::KeyGenResult>>& results,
    const std::vector<std::optional<PinnedOperator>>& signers) {
  std::vector<PartyKeyGenAnswer> answers;
  for (const auto& r : results) {
    PartyKeyGenAnswer& a = answers.emplace_back();
    a.name = PartyName(r.index);
    a.pin = signers[r.index];
    a.result = r.value.ok() ? r.value : Stripped(r.index, r.value.status());
  }
  return answers;
}

absl::StatusOr<AcceptedPublicKey> ClusterClient::FetchPublicKey(const std::string& key_id) {
  KMS_ASSIGN_OR_RETURN(const auto signers, KeySigners(absl::StrCat("public key ", key_id)));
  v1::RequestId id;
  id.set_request_id(key_id);
  auto results =
      ForEach<v1::KeyGenResult>([&](CoreClient& c, size_t) -> absl::StatusOr<v1::KeyGenResult> {
        v1::KeyGenResult result;
        KMS_RETURN_IF_ERROR(c.Call("GetKeyGenResult", id, &result));
        return result;
      });
  if (std::none_of(results.begin(), results.end(), [](const auto& r) { return r.value.ok(); })) {
    std::vector<std::string> errors;
    for (const auto& r : results) errors.push_back(PartyProblem(r.index, r.value.status()));
    return absl::NotFoundError(
        absl::StrCat("public key ", key_id, " not available from any party:", Join(errors)));
  }
  std::vector<PartyKeyGenAnswer> answers = KeyGenAnswers(results, signers);
  const std::vector<v1::Eip712Domain> domains = KeyGenResultDomains();
  KMS_ASSIGN_OR_RETURN(KeyEndorsement endorsement,
                       TallyKeyGenResults(key_id, KeyThreshold(), answers, domains));

  AcceptedPublicKey out;
  out.insecure = endorsement.insecure;
  out.signers = endorsement.party_ids;
  out.required = endorsement.required;
  out.trust_on_first_use = !pins_.has_value();
  out.problems = endorsement.problems;
  // The bytes from any party will do once they match the signed digest; the signers first.
  std::vector<size_t> order = endorsement.endorsers;
  for (size_t i = 0; i < parties_.size(); ++i) {
    if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
  }
  std::vector<std::string> errors;
  for (size_t i : order) {
    absl::StatusOr<v1::PublicKeyResponse> key = parties_[i]->GetPublicKey(key_id);
    if (!key.ok()) {
      errors.push_back(PartyProblem(i, key.status()));
      continue;
    }
    absl::Status matches = CheckEndorsedKeyBytes(endorsement, key->public_key(), PartyName(i));
    if (!matches.ok()) {
      errors.push_back(std::string(matches.message()));
      continue;
    }
    if (key->fhe_parameter() != endorsement.fhe_parameter) {
      out.problems.push_back(absl::StrCat(PartyName(i), ": GetPublicKey says parameters \"",
                                          key->fhe_parameter(), "\", the signed results \"",
                                          endorsement.fhe_parameter, "\""));
    }
    key->set_key_id(key_id);
    key->set_fhe_parameter(endorsement.fhe_parameter);
    key->set_public_key_digest(endorsement.public_key_digest);
    out.key = *std::move(key);
    out.problems.insert(out.problems.end(), errors.begin(), errors.end());
    return out;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "public key ", key_id, ": ", endorsement.endorsers.size(),
      " pinned parties signed its digest, but no party serves bytes that match it:", Join(errors)));
}

absl::StatusOr<PublicDecryptionOutcome> ClusterClient::PublicDecrypt(
    const std::string& key_id, const std::vector<v1::TypedCiphertext>& ciphertexts,
    milliseconds timeout, const std::string& extra_data) {
  KMS_ASSIGN_OR_RETURN(uint32_t t, Threshold());
  std::vector<absl::StatusOr<PinnedOperator>> expected;
  for (size_t i = 0; i < parties_.size(); ++i) expected.push_back(ExpectedSigner(i));
  v1::PublicDecryptionRequest request;
  request.set_request_id(RandomRequestId());
  request.set_key_id(key_id);
  for (const auto& ct : ciphertexts) *request.add_ciphertexts() = ct;
  request.set_extra_data(extra_data);
  *request.mutable_domain() = DefaultClientDomain();

  Progress progress("public decryption", PartyNames(), progress_out_);
  auto results = ForEach<v1::PublicDecryptionResponse>(
      [&](CoreClient& c, size_t i) -> absl::StatusOr<v1::PublicDecryptionResponse> {
        v1::PublicDecryptionResponse response;
        absl::Status s = c.Call("PublicDecryptSync", request, &response, timeout);
        progress.MarkDone(i);
        if (!s.ok()) return s;
        return response;
      });

  PublicDecryptionOutcome outcome;
  outcome.required = t + 1;
  outcome.asked = parties_.size();
  // Answers grouped by their plaintexts (type and value of each, in order).
  std::map<std::string, std::vector<size_t>> groups;
  for (const auto& r : results) {
    if (!r.value.ok()) {
      outcome.problems.push_back(PartyProblem(r.index, r.value.status()));
      continue;
    }
    const auto& signer = expected[r.index];
    if (!signer.ok()) {
      outcome.problems.push_back(absl::StrCat(PartyName(r.index), ": ", signer.status().message()));
      continue;
    }
    absl::Status verified =
        VerifyPublicDecryption(request, *r.value, crypto::ChecksumAddress(signer->signer));
    if (!verified.ok()) {
      outcome.problems.push_back(PartyProblem(r.index, verified));
      continue;
    }
    std::string group_key;
    for (const auto& p : r.value->plaintexts()) {
      absl::StrAppend(&group_key, p.fhe_type(), ":", ToHex(AsBytes(p.value_le())), ";");
    }
    groups[group_key].push_back(r.index);
  }
  if (groups.size() > 1) {
    outcome.problems.push_back(
        absl::StrCat("the parties' answers disagree (", groups.size(), " different results)"));
  }
  const std::vector<size_t>* best = nullptr;
  for (const auto& [unused, members] : groups) {
    if (best == nullptr || members.size() > best->size()) best = &members;
  }
  outcome.agreeing = best == nullptr ? 0 : best->size();
  if (outcome.agreeing < outcome.required) {
    return absl::FailedPreconditionError(
        absl::StrCat("public decryption: ", outcome.agreeing, " of ", parties_.size(),
                     " parties gave a valid signed answer, ", outcome.required,
                     " (t + 1) needed:", Join(outcome.problems)));
  }
  // Two results that each have t + 1 valid signatures: more than t parties lie, and the client
  // cannot tell which result is right. Fail loudly rather than pick one.
  size_t qualified = 0;
  for (const auto& [unused, members] : groups) qualified += members.size() >= outcome.required;
  if (qualified > 1) {
    return absl::AbortedError(absl::StrCat(
        "public decryption: ", qualified,
        " different results each carry at least t + 1 = ", outcome.required,
        " valid signatures; more than t parties are misbehaving:", Join(outcome.problems)));
  }
  for (const auto& [unused, members] : groups) {
    if (&members == best) continue;
    for (size_t i : members) {
      outcome.problems.push_back(absl::StrCat(
          PartyName(i), ": signed a result that differs from the agreeing parties' result"));
    }
  }
  outcome.response = *results[best->front()].value;
  for (size_t i : *best) outcome.agreeing_parties.push_back(results[i].value->party_id());
  std::sort(outcome.agreeing_parties.begin(), outcome.agreeing_parties.end());
  return outcome;
}

std::vector<PartyResult<v1::UserDecryptionResponse>> ClusterClient::UserDecrypt(
    v1::UserDecryptionRequest request, milliseconds timeout) {
  if (!request.has_domain() || request.domain().name().empty()) {
    *request.mutable_domain() = DefaultClientDomain();
  }
  std::vector<absl::StatusOr<PinnedOperator>> expected;
  for (size_t i = 0; i < parties_.size(); ++i) expected.push_back(ExpectedSigner(i));
  Progress progress("user decryption", PartyNames(), progress_out_);
  return ForEach<v1::UserDecryptionResponse>(
      [&](CoreClient& c, size_t i) -> absl::StatusOr<v1::UserDecryptionResponse> {
        v1::UserDecryptionResponse response;
        absl::Status s = c.Call("UserDecryptSync", request, &response, timeout);
        progress.MarkDone(i);
        if (!s.ok()) return s;
        const auto& signer = expected[i];
        if (!signer.ok()) {
          return absl::FailedPreconditionError(
              absl::StrCat(c.address(), ": ", signer.status().message()));
        }
        const std::string address = crypto::ChecksumAddress(signer->signer);
        if (response.party_id() != signer->party_id ||
            !absl::EqualsIgnoreCase(response.signer_address(), address)) {
          return absl::PermissionDeniedError(absl::StrCat(
              c.address(), ": answer claims party ", response.party_id(), " signed by ",
              response.signer_address(), ", but this endpoint is party ", signer->party_id, " (",
              address, pins_.has_value() ? ", pinned" : "", ")"));
        }
        return response;
      });
}

}  // namespace kms::client
