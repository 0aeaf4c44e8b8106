// File: service/response_signer.h
//
// Builds and signs the responses of both modes (service-spec §2, crypto-spec B §5) with the
// party's secp256k1 key, so the centralized and the threshold engine answer with identical
// messages:
//
//  - Public decryption: EIP-712 PublicDecryptVerification{ctHandles, decryptedResult, extraData}
//      ctHandles       = each ciphertext's handle (external_handle, or HashElement("_HANDLE_",
//                        ciphertext bytes) when the request gave none)
//      decryptedResult = abi.encode of each plaintext as uint256: 32-byte big-endian words,
//                        concatenated
//      extraData       = request_id (32) ‖ key_id (32) ‖ the request's extra_data
//  - User decryption: per ciphertext, the packed ring elements (Gr128 encodings, 64 bytes each,
//    concatenated) signcrypted to the user's enc_key under link = EIP-712 digest of
//    UserDecryptionLinker{enc_key, handles, client_address}; the response signs
//    UserDecryptResponseVerification{enc_key, handles, userDecryptedShare, extraData} with
//    userDecryptedShare = crypto::EncodeUserDecryptedShares(header, shares) and extraData as
//    above.
//  - Key generation: KeygenVerification{request_id, key_id, public key digest, parameter set
//    name, insecure}: the set name and the insecure mark are covered by the signature.
// Every signature is 65 bytes r ‖ s ‖ v over the request's EIP-712 domain (default {"KMS", "1"}).
//
// Thread safety: const methods may run concurrently.
#ifndef KMS_SERVICE_RESPONSE_SIGNER_H_
#define KMS_SERVICE_RESPONSE_SIGNER_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/eip712.h"
#include "crypto/secp256k1_signer.h"
#include "lwe/typed_plaintext.h"
#include "proto/kms_service.pb.h"
#include "service/engine.h"
#include "service/request_validation.h"

namespace kms::service {

// request_id ‖ key_id ‖ extra_data: the extraData of decryption signatures.
Bytes DecryptionExtraData(const Id32& request_id, const Id32& key_id, ByteSpan extra_data);

// What one user-decryption request asks for, after validation.
struct UserDecryptionContext {
  Id32 request_id{};
  Id32 key_id{};
  Bytes enc_key;
  crypto::EthAddress client_address{};
  crypto::Eip712Domain domain;
  Bytes extra_data;
  std::string fhe_parameter;
};

class ResponseSigner {
 public:
  // `key` must outlive the signer. party_id 0, degree 0 and num_parties 1 in centralized mode.
  ResponseSigner(const crypto::SigningKey& key, uint32_t party_id, uint32_t degree,
                 uint32_t num_parties)
      : key_(key), party_id_(party_id), degree_(degree), num_parties_(num_parties) {}

  const crypto::SigningKey& key() const { return key_; }
  uint32_t party_id() const { return party_id_; }

  kms::v1::PublicDecryptionResponse PublicDecryption(
      const Id32& request_id, const Id32& key_id, std::span<const ParsedCiphertext> ciphertexts,
      std::span<const lwe::TypedPlaintext> plaintexts, ByteSpan extra_data,
      const crypto::Eip712Domain& domain) const;

  // INVALID_ARGUMENT if the enc key is unusable (validated earlier, so not expected).
  absl::StatusOr<kms::v1::UserDecryptionResponse> UserDecryption(
      const UserDecryptionContext& request, std::span<const ParsedCiphertext> ciphertexts,
      const UserDecryptionOutput& shares) const;

  kms::v1::KeyGenResult KeyGen(const Id32& request_id, const PublicKeyInfo& key,
                               const crypto::Eip712Domain& domain) const;

 private:
  void FillSigner(std::string* signature_field, const crypto::Signature65& sig,
                  std::string* vk_field, std::string* address_field) const;

  const crypto::SigningKey& key_;
  const uint32_t party_id_;
  const uint32_t degree_;
  const uint32_t num_parties_;
};

// The kms.v1 form of a plaintext: type name, decimal value, 32 little-endian bytes.
kms::v1::TypedPlaintext ToProto(const lwe::TypedPlaintext& p);

}  // namespace kms::service

#endif  // KMS_SERVICE_RESPONSE_SIGNER_H_
