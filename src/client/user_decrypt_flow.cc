#include "client/user_decrypt_flow.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/absl_compat_internal.h"
#include "client/request_id.h"
#include "client/response_verification.h"
#include "client/user_decryption.h"
#include "common/status_macros.h"
#include "crypto/hybrid_encryption.h"
#include "crypto/secp256k1_signer.h"

namespace kms::client {

absl::StatusOr<UserDecryptOutcome> RunUserDecryption(
    ClusterClient& cluster, const std::string& key_id,
    const std::vector<v1::TypedCiphertext>& ciphertexts, std::chrono::milliseconds timeout,
    const std::string& extra_data) {
  UserDecryptOutcome outcome;
  const crypto::X25519Kem kem;
  const crypto::KemKeyPair user = kem.GenerateKeyPair();
  // The user's on-chain identity is not needed by this tool beyond naming it in the request;
  // a fresh key gives a well-formed, unlinkable address.
  const crypto::SigningKey user_identity = crypto::SigningKey::Generate();
  outcome.user_address = user_identity.verification_key().EthereumAddressChecksummed();

  v1::UserDecryptionRequest request;
  request.set_request_id(RandomRequestId());
  request.set_key_id(key_id);
  for (const auto& ct : ciphertexts) *request.add_ciphertexts() = ct;
  request.set_enc_key(std::string(user.public_key.begin(), user.public_key.end()));
  request.set_client_address(outcome.user_address);
  request.set_extra_data(extra_data);
  *request.mutable_domain() = DefaultClientDomain();

  UserDecryptionRequestInfo info;
  KMS_ASSIGN_OR_RETURN(info.request_id, IdToDigest(request.request_id(), "request_id"));
  KMS_ASSIGN_OR_RETURN(info.key_id, IdToDigest(key_id, "key_id"));
  for (const auto& ct : ciphertexts) {
    crypto::Digest handle{};
    if (ct.external_handle().empty()) {
      handle = CiphertextHandle(AsBytes(ct.ciphertext()));
    } else if (ct.external_handle().size() == handle.size()) {
      std::copy(ct.external_handle().begin(), ct.external_handle().end(), handle.begin());
    } else {
      return absl::InvalidArgumentError("ciphertext external_handle: expected 32 bytes");
    }
    info.handles.push_back(handle);
    KMS_ASSIGN_OR_RETURN(lwe::FheType type, lwe::FheTypeFromName(ct.fhe_type()));
    info.types.push_back(type);
  }
  info.enc_key = user.public_key;
  info.client_address = user_identity.verification_key().EthereumAddress();
  KMS_ASSIGN_OR_RETURN(info.domain, DomainFromProto(request.domain()));
  info.extra_data.assign(extra_data.begin(), extra_data.end());

  // Expected signers: the pinned operators, or without pins the addresses the parties report.
  std::map<uint32_t, crypto::EthAddress> signers;
  for (size_t i = 0; i < cluster.size(); ++i) {
    absl::StatusOr<PinnedOperator> signer = cluster.ExpectedSigner(i);
    if (!signer.ok()) {
      outcome.problems.push_back(
          absl::StrCat(cluster.PartyName(i), ": ", signer.status().message()));
      continue;
    }
    signers[signer->party_id] = signer->signer;
  }
  KMS_ASSIGN_OR_RETURN(uint32_t t, cluster.Threshold());
  // Parties that did not answer GetOperatorPublicKey are still part of the deployment: their
  // ids must be known for the reconstruction's n. In threshold mode ids are 1..n.
  if (t > 0 || cluster.size() > 1) {
    for (uint32_t id = 1; id <= cluster.size(); ++id) {
      if (!signers.contains(id)) signers[id] = crypto::EthAddress{};  // unknown: never matches
    }
  }

  std::vector<v1::UserDecryptionResponse> responses;
  for (auto& r : cluster.UserDecrypt(request, timeout)) {
    if (r.value.ok()) {
      responses.push_back(*std::move(r.value));
    } else {
      outcome.problems.push_back(cluster.PartyProblem(r.index, r.value.status()));
    }
  }
  std::vector<RejectedResponse> rejected;
  absl::StatusOr<std::vector<lwe::TypedPlaintext>> plaintexts =
      ReconstructUserDecryption(responses, user.private_key, signers, info, &rejected);
  for (const RejectedResponse& r : rejected) {
    outcome.problems.push_back(absl::StrCat("party ", r.party_id, ": rejected: ", r.reason));
  }
  if (!plaintexts.ok()) {
    return absl::Status(
        plaintexts.status().code(),
        absl::StrCat("user decryption: ", plaintexts.status().message(),
                     outcome.problems.empty() ? "" : "; ", absl::StrJoin(outcome.problems, "; ")));
  }
  outcome.plaintexts = *std::move(plaintexts);
  outcome.shares_used = responses.size() - rejected.size();
  return outcome;
}

}  // namespace kms::client
