#include "service/ciphertext_admission.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/ciphertext_attestation.h"

namespace kms::service {
namespace {

absl::Status Refuse(int index, std::string_view why) {
  return absl::PermissionDeniedError(
      absl::StrCat("ciphertexts[", index, "]: ", absl::string_view(why.data(), why.size())));
}

}  // namespace

CiphertextAdmission::CiphertextAdmission(AdmissionConfig config)
    : config_(std::move(config)), domain_(crypto::CiphertextAttestationDomain(config_.chain_id)) {}

absl::Status CiphertextAdmission::Admit(
    const Id32& key_id, const google::protobuf::RepeatedPtrField<kms::v1::TypedCiphertext>& cts,
    const std::string& extra_data) const {
  switch (config_.policy) {
    case AdmissionPolicy::kTrustedCallers:
    case AdmissionPolicy::kOpen:
      return absl::OkStatus();
    case AdmissionPolicy::kAttested:
      return AdmitAttested(key_id, cts, extra_data);
  }
  return absl::InternalError("unknown admission policy");
}

absl::Status CiphertextAdmission::AdmitAttested(
    const Id32& key_id, const google::protobuf::RepeatedPtrField<kms::v1::TypedCiphertext>& cts,
    const std::string& extra_data) const {
  absl::StatusOr<crypto::CiphertextAttestations> attestations =
      crypto::ParseCiphertextAttestations(AsBytes(extra_data));
  if (!attestations.ok()) return attestations.status();
  if (!attestations->empty() && attestations->size() != static_cast<size_t>(cts.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("extra_data: attestations for ", attestations->size(),
                     " ciphertexts, but the request has ", cts.size()));
  }
  const std::set<crypto::EthAddress> producers(config_.producers.begin(), config_.producers.end());
  for (int i = 0; i < cts.size(); ++i) {
    const kms::v1::TypedCiphertext& ct = cts[i];
    crypto::CiphertextAttestationData data;
    if (ct.external_handle().size() != data.handle.size()) {
      return Refuse(i,
                    "no external_handle; under admission policy \"attested\" each ciphertext "
                    "names the 32-byte handle its producers attested");
    }
    if (attestations->empty() || (*attestations)[static_cast<size_t>(i)].empty()) {
      return Refuse(i,
                    "no attestation; admission policy \"attested\" decrypts only ciphertexts "
                    "signed by configured producers (in extra_data, version 0x01)");
    }
    const std::vector<crypto::Signature65>& sigs = (*attestations)[static_cast<size_t>(i)];
    if (sigs.size() > producers.size()) {
      return Refuse(i, absl::StrCat(sigs.size(), " signatures, but only ", producers.size(),
                                    " producers are configured"));
    }
    std::copy(key_id.begin(), key_id.end(), data.key_id.begin());
    std::copy(ct.external_handle().begin(), ct.external_handle().end(), data.handle.begin());
    data.fhe_type = ct.fhe_type();
    data.ciphertext_format = static_cast<uint32_t>(ct.ciphertext_format());
    data.ciphertext_digest = crypto::CiphertextDigest(AsBytes(ct.ciphertext()));
    const crypto::Digest digest = crypto::CiphertextAttestationDigest(domain_, data);
    std::set<crypto::EthAddress> signed_by;
    for (size_t j = 0; j < sigs.size(); ++j) {
      absl::StatusOr<crypto::VerificationKey> signer =
          crypto::VerificationKey::RecoverFromSignature(digest, sigs[j]);
      if (!signer.ok()) {
        return Refuse(i, absl::StrCat("attestation signature ", j,
                                      " is invalid: ", signer.status().message()));
      }
      const crypto::EthAddress address = signer->EthereumAddress();
      if (producers.count(address) == 0) {
        // ecrecover yields some address for any well-formed signature, so a signature by an
        // unknown key and a producer's signature over other data look the same here.
        return Refuse(i, absl::StrCat("attestation signature ", j, " recovers to ",
                                      crypto::ChecksumAddress(address),
                                      ", not a configured producer: another key signed, or the "
                                      "signed key id, handle, fhe type, format or ciphertext "
                                      "digest differs from this request's"));
      }
      signed_by.insert(address);
    }
    if (signed_by.size() < config_.required) {
      return Refuse(i, absl::StrCat(signed_by.size(), " distinct producer(s) signed, ",
                                    config_.required, " required"));
    }
  }
  return absl::OkStatus();
}

std::string CiphertextAdmission::Describe() const {
  switch (config_.policy) {
    case AdmissionPolicy::kTrustedCallers:
      return "trusted-callers: every ciphertext of a caller allowed to decrypt is admitted; the "
             "callers holding the role decrypt vouch for the ciphertexts' provenance";
    case AdmissionPolicy::kAttested: {
      std::vector<std::string> names;
      for (const auto& p : config_.producers) names.push_back(crypto::ChecksumAddress(p));
      return absl::StrCat(
          "attested: ", config_.required, " of ", names.size(), " producers (",
          absl::StrJoin(names, ", "), ") must sign each ciphertext (EIP-712 CiphertextAttestation",
          config_.chain_id ? absl::StrCat(", chain id ", *config_.chain_id) : "", ")");
    }
    case AdmissionPolicy::kOpen:
      return "open: INSECURE, any ciphertext is decrypted; the key is extractable by anyone who "
             "can decrypt (development only)";
  }
  return "";
}

std::string DescribeAdmission(const AdmissionConfig& config) {
  return CiphertextAdmission(config).Describe();
}

}  // namespace kms::service
