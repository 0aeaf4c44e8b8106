// File: client/response_verification.h
//
// Checks of the signed answers of the parties (crypto-spec B §5, service-spec §2): a client trusts
// a result only when it carries a valid secp256k1 signature over the EIP-712 typed data of that
// result, by the key of the party it asked (the operator address pinned for it in client.toml;
// without pins, the address the party reports through GetOperatorPublicKey). Public decryption
// then needs t + 1 parties agreeing on the plaintexts (ClusterClient), and a public key t + 1
// pinned signers (client/key_acceptance.h), so up to t lying parties cannot make the client
// accept a wrong value or key.
//
// What is signed:
//   public decryption  PublicDecryptVerification{ctHandles = the response's ct_handles,
//                      decryptedResult = abi.encode(uint256 per plaintext), extraData =
//                      request_id ‖ key_id ‖ request extra_data} under the request's domain
//   key generation     KeygenVerification{requestId, keyId, publicKeyDigest, fheParameter,
//                      insecure} with publicKeyDigest = SHAKE256("PDAT_KEY" ‖ public_key):
//                      the parameter set name and the insecure mark are signed
//   handles            every response handle equals the request's: its external_handle, or
//                      SHAKE256("_HANDLE_" ‖ ciphertext bytes) when it sent none
//
// Every check returns InvalidArgument (malformed answer) or PermissionDenied (a signature by
// another key than the party's), naming the field, never the plaintext value.
#ifndef KMS_CLIENT_RESPONSE_VERIFICATION_H_
#define KMS_CLIENT_RESPONSE_VERIFICATION_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/eip712.h"
#include "crypto/hash.h"
#include "lwe/typed_plaintext.h"
#include "proto/kms_service.pb.h"

namespace kms::client {

// The EIP-712 domain this client puts in its requests: name "KMS", version "1", chain id 1.
v1::Eip712Domain DefaultClientDomain();

// The proto domain as crypto::Eip712Domain. InvalidArgument naming the field for a chain id or
// salt that is not 32 bytes, or a verifying contract that is not an address.
absl::StatusOr<crypto::Eip712Domain> DomainFromProto(const v1::Eip712Domain& domain);

// A plaintext of an answer as lwe::TypedPlaintext. InvalidArgument for an unknown type, a
// value_le longer than 32 bytes, or a value wider than its type.
absl::StatusOr<lwe::TypedPlaintext> PlaintextFromProto(const v1::TypedPlaintext& plaintext);

// abi.encode of the plaintexts: one 32-byte big-endian word each.
Bytes AbiEncodePlaintexts(const std::vector<lwe::TypedPlaintext>& plaintexts);

// The ciphertext handle the client sends with a ciphertext:
// SHAKE256("_HANDLE_" ‖ ciphertext bytes).
crypto::Digest CiphertextHandle(ByteSpan ciphertext);

// Checks `response` against `request`: the request and key ids, one plaintext per ciphertext with
// the requested types, one handle per ciphertext equal to the request's (its external_handle, or
// the handle derived from its ciphertext bytes when it has none; a missing or changed handle is
// InvalidArgument naming ct_handles[i]), and the signature, which must recover to
// `expected_signer` (EIP-55 or lower-case hex address).
[[nodiscard]] absl::Status VerifyPublicDecryption(const v1::PublicDecryptionRequest& request,
                                                  const v1::PublicDecryptionResponse& response,
                                                  std::string_view expected_signer);

// Checks a key-generation answer: key id and request id, the digest of the public key, a known
// parameter set (an insecure one must be marked insecure), and the signature under `domain` by
// `expected_signer`, which covers the set name and the insecure mark. Whether a key is then
// accepted is client/key_acceptance.h's rule (t + 1 pinned operators).
[[nodiscard]] absl::Status VerifyKeyGenResult(std::string_view request_id,
                                              const v1::KeyGenResult& result,
                                              const v1::Eip712Domain& domain,
                                              std::string_view expected_signer);

// The checks of VerifyKeyGenResult without the signature: ids, digest of the returned public key
// bytes, parameter set and insecure mark. InvalidArgument naming the field.
[[nodiscard]] absl::Status CheckKeyGenResultFields(std::string_view request_id,
                                                   const v1::KeyGenResult& result);

// The address whose key made `result.signature` over its KeygenVerification under `domain`.
// Every well-formed signature recovers to some address: the caller compares it with the one it
// expects. InvalidArgument for malformed ids or digest; PermissionDenied for a signature that
// recovers to no key.
absl::StatusOr<crypto::EthAddress> RecoverKeyGenSigner(const v1::KeyGenResult& result,
                                                       const v1::Eip712Domain& domain);

// SHAKE256("PDAT_KEY" ‖ public_key): the digest keygen results and GetPublicKey report.
crypto::Digest PublicKeyDigest(ByteSpan public_key);

}  // namespace kms::client

#endif  // KMS_CLIENT_RESPONSE_VERIFICATION_H_
