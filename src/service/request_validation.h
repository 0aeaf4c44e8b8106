// File: service/request_validation.h
//
// Validation of the untrusted fields of kms.v1 requests, before anything is started or stored.
// Every error is INVALID_ARGUMENT naming the field as the request spells it, with the index of
// a repeated entry:
//   "ciphertexts[2].ciphertext: expected 8192 bytes for dimension 512, got 100"   (lwe parser)
//   "ciphertexts[0].fhe_type: \"euint8\" does not match the encoded type euint64"
//   "ciphertexts[1].external_handle: expected 32 bytes (or none), got 5"
//   "ciphertexts[0].ciphertext_format: 3 is not supported (0: compact LWE list)"  (phase-1 key)
//   "ciphertexts[0].ciphertext: not a tfhe-rs FheUint (SmallExpanded): ..."        (tfhe-rs)
//   "domain.chain_id: expected 32 bytes (big-endian uint256), got 3"
//   "enc_key: expected a 32-byte X25519 public key, got 31 bytes"
//   "client_address: ..."
#ifndef KMS_SERVICE_REQUEST_VALIDATION_H_
#define KMS_SERVICE_REQUEST_VALIDATION_H_

#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/eip712.h"
#include "crypto/hash.h"
#include "lwe/parameters.h"
#include "lwe/typed_ciphertext.h"
#include "proto/kms_service.pb.h"
#include "service/parameter_set.h"
#include "service/tfhe_ciphertext.h"

namespace kms::service {

// Most ciphertexts one decryption request may carry (the gRPC message size bounds the bytes).
inline constexpr size_t kMaxCiphertextsPerRequest = 4096;

// One ciphertext of a decryption request: the phase-1 LWE list under a phase-1 key, a tfhe-rs
// ciphertext under a tfhe-rs keyset.
struct ParsedCiphertext {
  lwe::FheType type = lwe::FheType::kEbool;
  std::variant<lwe::TypedCiphertext, TfheCiphertext> value;
  crypto::Digest handle{};  // external_handle, or HashElement("_HANDLE_", ciphertext bytes)
};

// Parses and checks every ciphertext of a request for a key of `key_params`: at least one and at
// most kMaxCiphertextsPerRequest, fhe_type a known name, handle empty or 32 bytes, and
//   - phase-1 key: format 0, a valid kms.lwe.v1.TypedCiphertext of type fhe_type under the
//     key's parameter set;
//   - tfhe-rs keyset: format 0-3 (tfhe_ciphertext.h), a tfhe-rs blob of that format holding a
//     value of type fhe_type (the checks against the key itself follow in the engine).
absl::StatusOr<std::vector<ParsedCiphertext>> ParseCiphertexts(
    const google::protobuf::RepeatedPtrField<kms::v1::TypedCiphertext>& ciphertexts,
    const ParameterSet& key_params);

// The values of `cts` of alternative T, moved out (the work runs once).
template <typename T>
std::vector<T> TakeCiphertexts(std::span<ParsedCiphertext> cts) {
  std::vector<T> out;
  out.reserve(cts.size());
  for (ParsedCiphertext& c : cts) out.push_back(std::move(std::get<T>(c.value)));
  return out;
}

// The EIP-712 domain of a request; `has_domain` false gives the server default {name "KMS",
// version "1"}.
absl::StatusOr<crypto::Eip712Domain> ParseDomain(bool has_domain, const kms::v1::Eip712Domain& d);
crypto::Eip712Domain DefaultDomain();

// A name of service/parameter_set.h; empty gives `configured`.
absl::StatusOr<ParameterSet> ParseFheParameter(std::string_view field, std::string_view name,
                                               const lwe::LweParameters& configured);

// A user's X25519 public key (32 bytes, a valid point).
absl::Status ValidateEncKey(std::string_view field, const std::string& enc_key);

// A user's Ethereum address ("0x" + 40 hex digits; EIP-55 checked when mixed case).
absl::StatusOr<crypto::EthAddress> ParseClientAddress(std::string_view field,
                                                      const std::string& address);

}  // namespace kms::service

#endif  // KMS_SERVICE_REQUEST_VALIDATION_H_
