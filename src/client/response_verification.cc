#include "client/response_verification.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/absl_compat_internal.h"
#include "client/request_id.h"
#include "common/status_macros.h"
#include "crypto/secp256k1_signer.h"
#include "lwe/fhe_type.h"
#include "lwe/parameters.h"
#include "tfhe/named_keysets.h"

namespace kms::client {
namespace {

absl::StatusOr<crypto::Signature65> SignatureFrom(const std::string& bytes,
                                                  std::string_view field) {
  if (bytes.size() != 65) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(field), ": expected 65 bytes r||s||v, got ", bytes.size()));
  }
  crypto::Signature65 sig{};
  std::copy(bytes.begin(), bytes.end(), sig.begin());
  return sig;
}

// Recovers the signer of `digest` and compares it with `expected_signer`.
absl::Status CheckSigner(const crypto::Digest& digest, const std::string& signature_bytes,
                         std::string_view expected_signer, std::string_view what) {
  KMS_ASSIGN_OR_RETURN(crypto::EthAddress expected, crypto::ParseEthAddress(expected_signer));
  KMS_ASSIGN_OR_RETURN(crypto::Signature65 sig,
                       SignatureFrom(signature_bytes, absl::StrCat(Av(what), ".signature")));
  absl::StatusOr<crypto::VerificationKey> signer =
      crypto::VerificationKey::RecoverFromSignature(digest, sig);
  if (!signer.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat(Av(what), ".signature: invalid: ", signer.status().message()));
  }
  if (signer->EthereumAddress() != expected) {
    return absl::PermissionDeniedError(
        absl::StrCat(Av(what), ".signature: signed by ", signer->EthereumAddressChecksummed(),
                     ", expected ", crypto::ChecksumAddress(expected)));
  }
  return absl::OkStatus();
}

absl::StatusOr<crypto::Digest> Digest32(const std::string& bytes, std::string_view field) {
  if (bytes.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(field), ": expected 32 bytes, got ", bytes.size()));
  }
  crypto::Digest out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

}  // namespace

v1::Eip712Domain DefaultClientDomain() {
  v1::Eip712Domain domain;
  domain.set_name("KMS");
  domain.set_version("1");
  const crypto::Uint256 chain = crypto::Uint256FromU64(1);
  domain.set_chain_id(std::string(chain.begin(), chain.end()));
  return domain;
}

absl::StatusOr<crypto::Eip712Domain> DomainFromProto(const v1::Eip712Domain& domain) {
  crypto::Eip712Domain out;
  out.name = domain.name();
  out.version = domain.version();
  if (!domain.chain_id().empty()) {
    KMS_ASSIGN_OR_RETURN(crypto::Digest chain, Digest32(domain.chain_id(), "domain.chain_id"));
    out.chain_id = chain;
  }
  if (!domain.verifying_contract().empty()) {
    absl::StatusOr<crypto::EthAddress> contract =
        crypto::ParseEthAddress(domain.verifying_contract());
    if (!contract.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("domain.verifying_contract: ", contract.status().message()));
    }
    out.verifying_contract = *contract;
  }
  if (!domain.salt().empty()) {
    KMS_ASSIGN_OR_RETURN(crypto::Digest salt, Digest32(domain.salt(), "domain.salt"));
    out.salt = salt;
  }
  return out;
}

absl::StatusOr<lwe::TypedPlaintext> PlaintextFromProto(const v1::TypedPlaintext& plaintext) {
  KMS_ASSIGN_OR_RETURN(lwe::FheType type, lwe::FheTypeFromName(plaintext.fhe_type()));
  if (plaintext.value_le().size() > 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plaintext.value_le: expected at most 32 bytes, got ", plaintext.value_le().size()));
  }
  return lwe::TypedPlaintext::FromLeBytes(type, AsBytes(plaintext.value_le()));
}

Bytes AbiEncodePlaintexts(const std::vector<lwe::TypedPlaintext>& plaintexts) {
  Bytes out;
  for (const lwe::TypedPlaintext& p : plaintexts) Append(out, p.AbiEncodeUint256());
  return out;
}

crypto::Digest CiphertextHandle(ByteSpan ciphertext) {
  return crypto::HashElement(crypto::kDsepHandle, ciphertext);
}

crypto::Digest PublicKeyDigest(ByteSpan public_key) {
  return crypto::HashElement(crypto::kDsepPublicKeyData, public_key);
}

absl::Status VerifyPublicDecryption(const v1::PublicDecryptionRequest& request,
                                    const v1::PublicDecryptionResponse& response,
                                    std::string_view expected_signer) {
  if (response.request_id() != request.request_id()) {
    return absl::InvalidArgumentError("response.request_id: does not match the request");
  }
  if (response.key_id() != request.key_id()) {
    return absl::InvalidArgumentError("response.key_id: does not match the request");
  }
  if (response.plaintexts_size() != request.ciphertexts_size()) {
    return absl::InvalidArgumentError(absl::StrCat("response.plaintexts: expected ",
                                                   request.ciphertexts_size(), ", got ",
                                                   response.plaintexts_size()));
  }
  if (response.ct_handles_size() != request.ciphertexts_size()) {
    return absl::InvalidArgumentError(absl::StrCat("response.ct_handles: expected ",
                                                   request.ciphertexts_size(), ", got ",
                                                   response.ct_handles_size()));
  }
  std::vector<lwe::TypedPlaintext> plaintexts;
  std::vector<crypto::Digest> handles;
  for (int i = 0; i < response.plaintexts_size(); ++i) {
    absl::StatusOr<lwe::TypedPlaintext> p = PlaintextFromProto(response.plaintexts(i));
    if (!p.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("response.plaintexts[", i, "]: ", p.status().message()));
    }
    if (response.plaintexts(i).fhe_type() != request.ciphertexts(i).fhe_type()) {
      return absl::InvalidArgumentError(
          absl::StrCat("response.plaintexts[", i, "].fhe_type: ", response.plaintexts(i).fhe_type(),
                       ", requested ", request.ciphertexts(i).fhe_type()));
    }
    plaintexts.push_back(*p);
    // Always checked: without an external handle the party signs the handle derived from the
    // ciphertext, and a party answering for another ciphertext would otherwise go unnoticed.
    const std::string& got = response.ct_handles(i);
    if (got.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("response.ct_handles[", i, "]: missing (the response omits the handle)"));
    }
    KMS_ASSIGN_OR_RETURN(crypto::Digest handle,
                         Digest32(got, absl::StrCat("response.ct_handles[", i, "]")));
    const std::string& external = request.ciphertexts(i).external_handle();
    if (!external.empty()) {
      if (external != got) {
        return absl::InvalidArgumentError(
            absl::StrCat("response.ct_handles[", i, "]: not the external_handle of the request"));
      }
    } else if (handle != CiphertextHandle(AsBytes(request.ciphertexts(i).ciphertext()))) {
      return absl::InvalidArgumentError(
          absl::StrCat("response.ct_handles[", i,
                       "]: not the handle derived from the request's ciphertext (the request "
                       "sent no external_handle)"));
    }
    handles.push_back(handle);
  }
  KMS_ASSIGN_OR_RETURN(crypto::Eip712Domain domain, DomainFromProto(request.domain()));
  KMS_ASSIGN_OR_RETURN(crypto::Digest request_id, IdToDigest(request.request_id(), "request_id"));
  KMS_ASSIGN_OR_RETURN(crypto::Digest key_id, IdToDigest(request.key_id(), "key_id"));
  Bytes extra;
  Append(extra, request_id);
  Append(extra, key_id);
  Append(extra, AsBytes(request.extra_data()));
  const Bytes abi = AbiEncodePlaintexts(plaintexts);
  const crypto::Digest digest =
      crypto::Eip712Digest(domain, crypto::PublicDecryptVerification(handles, abi, extra));
  return CheckSigner(digest, response.signature(), expected_signer, "public decryption");
}

absl::Status CheckKeyGenResultFields(std::string_view request_id, const v1::KeyGenResult& result) {
  if (result.request_id() != request_id) {
    return absl::InvalidArgumentError("keygen result.request_id: does not match the request");
  }
  KMS_RETURN_IF_ERROR(IdToDigest(result.request_id(), "result.request_id").status());
  KMS_RETURN_IF_ERROR(IdToDigest(result.key_id(), "result.key_id").status());
  KMS_ASSIGN_OR_RETURN(crypto::Digest digest,
                       Digest32(result.public_key_digest(), "result.public_key_digest"));
  if (digest != PublicKeyDigest(AsBytes(result.public_key()))) {
    return absl::InvalidArgumentError(
        "keygen result.public_key_digest: not the digest of the public key returned");
  }
  // A phase-1 set (lwe/parameters.h) or a tfhe-rs keyset (tfhe/named_keysets.h).
  bool insecure_set = false;
  if (const tfhe::NamedKeysetParameters* keyset = tfhe::KmsKeysetByName(result.fhe_parameter())) {
    insecure_set = keyset->insecure;
  } else {
    absl::StatusOr<const lwe::LweParameters*> params =
        lwe::ParametersByName(result.fhe_parameter());
    if (!params.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("keygen result.fhe_parameter: ", params.status().message()));
    }
    insecure_set = (*params)->insecure;
  }
  if (insecure_set && !result.insecure()) {
    return absl::InvalidArgumentError(
        absl::StrCat("keygen result.insecure: false, but parameter set \"", result.fhe_parameter(),
                     "\" is insecure"));
  }
  return absl::OkStatus();
}

absl::StatusOr<crypto::EthAddress> RecoverKeyGenSigner(const v1::KeyGenResult& result,
                                                       const v1::Eip712Domain& domain_proto) {
  KMS_ASSIGN_OR_RETURN(crypto::Digest req, IdToDigest(result.request_id(), "result.request_id"));
  KMS_ASSIGN_OR_RETURN(crypto::Digest key, IdToDigest(result.key_id(), "result.key_id"));
  KMS_ASSIGN_OR_RETURN(crypto::Digest digest,
                       Digest32(result.public_key_digest(), "result.public_key_digest"));
  KMS_ASSIGN_OR_RETURN(crypto::Eip712Domain domain, DomainFromProto(domain_proto));
  // The set name and the insecure mark are signed: a changed one recovers to another address.
  const crypto::Digest to_check = crypto::Eip712Digest(
      domain,
      crypto::KeygenVerification(req, key, digest, result.fhe_parameter(), result.insecure()));
  KMS_ASSIGN_OR_RETURN(crypto::Signature65 sig,
                       SignatureFrom(result.signature(), "keygen result.signature"));
  absl::StatusOr<crypto::VerificationKey> signer =
      crypto::VerificationKey::RecoverFromSignature(to_check, sig);
  if (!signer.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("keygen result.signature: invalid: ", signer.status().message()));
  }
  return signer->EthereumAddress();
}

absl::Status VerifyKeyGenResult(std::string_view request_id, const v1::KeyGenResult& result,
                                const v1::Eip712Domain& domain_proto,
                                std::string_view expected_signer) {
  KMS_RETURN_IF_ERROR(CheckKeyGenResultFields(request_id, result));
  KMS_ASSIGN_OR_RETURN(crypto::EthAddress expected, crypto::ParseEthAddress(expected_signer));
  KMS_ASSIGN_OR_RETURN(crypto::EthAddress signer, RecoverKeyGenSigner(result, domain_proto));
  if (signer != expected) {
    return absl::PermissionDeniedError(absl::StrCat("keygen result.signature: signed by ",
                                                    crypto::ChecksumAddress(signer), ", expected ",
                                                    crypto::ChecksumAddress(expected)));
  }
  return absl::OkStatus();
}

}  // namespace kms::client
