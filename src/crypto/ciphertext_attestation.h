// File: crypto/ciphertext_attestation.h
//
// Ciphertext attestations: a ciphertext producer (a coprocessor, or any service the operators
// trust to have made the ciphertext by honest encryption) signs, with its secp256k1 key, EIP-712
// typed data that binds one ciphertext to a key, a handle and a type. A KMS party configured with
// the "attested" admission policy (service/ciphertext_admission.h) decrypts a ciphertext only when
// enough configured producers signed it, because a crafted ciphertext (for instance a mask
// coefficient set to Δ) decrypts to bits of the secret key.
//
// What is signed (EIP-712, crypto/eip712.h):
//   CiphertextAttestation(bytes32 keyId,bytes32 handle,string fheType,uint32 ciphertextFormat,
//                         bytes32 ciphertextDigest)
//     keyId            the 32-byte key id the ciphertext is encrypted under
//     handle           the 32-byte handle; the parties sign their decryption results over it
//     fheType          the type name as in kms.v1.TypedCiphertext.fhe_type ("euint64", ...)
//     ciphertextFormat kms.v1.TypedCiphertext.ciphertext_format (0 today)
//     ciphertextDigest keccak256 of the ciphertext bytes exactly as sent (kms.v1
//                      TypedCiphertext.ciphertext), so an on-chain producer can compute it too
//   domain: EIP712Domain{name "KMS Ciphertext Attestation", version "1"[, chainId]}; chainId is
//   present iff the party's configuration sets admission.chain_id.
//
// How attestations travel: in the decryption request's extra_data (kms.v1 Public/User
// DecryptionRequest field extra_data), so the reference API needs no new field:
//   empty, or the single byte 0x00    no attestations (0x00 is the reference relayer's version
//                                     byte)
//   0x01 ‖ u32le count ‖ count × entry  version 1; count must equal the request's ciphertexts
//     entry (one per ciphertext, in request order) = u8 k ‖ k × 65-byte signature r ‖ s ‖ v
//     (v = 27 or 28, low-S: crypto/secp256k1_signer.h)
// Nothing may follow the last entry. Any other first byte, a truncated entry or trailing bytes is
// INVALID_ARGUMENT "extra_data: ...". The parser allocates only what the input's length pays for.
//
//   Digest d = CiphertextAttestationDigest(domain, {key_id, handle, "euint8", 0, digest});
//   Signature65 sig = producer.SignDigest(d);
//
// Thread safety: pure functions.
#ifndef KMS_CRYPTO_CIPHERTEXT_ATTESTATION_H_
#define KMS_CRYPTO_CIPHERTEXT_ATTESTATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/eip712.h"
#include "crypto/hash.h"
#include "crypto/secp256k1_signer.h"

namespace kms::crypto {

inline constexpr char kAttestationDomainName[] = "KMS Ciphertext Attestation";
inline constexpr char kAttestationDomainVersion[] = "1";
// The first byte of extra_data.
inline constexpr uint8_t kAttestationsNone = 0x00;
inline constexpr uint8_t kAttestationsV1 = 0x01;
// Most ciphertexts one encoding may cover (the service's per-request limit).
inline constexpr size_t kMaxAttestedCiphertexts = 4096;
// Most signatures per ciphertext (the u8 count).
inline constexpr size_t kMaxAttestationsPerCiphertext = 255;

// The attested fields of one ciphertext.
struct CiphertextAttestationData {
  Digest key_id{};
  Digest handle{};
  std::string fhe_type;
  uint32_t ciphertext_format = 0;
  Digest ciphertext_digest{};  // CiphertextDigest(ciphertext bytes)
};

// keccak256 of the ciphertext bytes.
Digest CiphertextDigest(ByteSpan ciphertext);

// {name kAttestationDomainName, version "1", chainId if set}.
Eip712Domain CiphertextAttestationDomain(std::optional<uint64_t> chain_id);

// The CiphertextAttestation struct value.
Eip712Struct CiphertextAttestation(const CiphertextAttestationData& data);

// Eip712Digest(domain, CiphertextAttestation(data)): what a producer signs.
Digest CiphertextAttestationDigest(const Eip712Domain& domain,
                                   const CiphertextAttestationData& data);

// The signatures of each ciphertext, in request order; empty when extra_data carries none.
using CiphertextAttestations = std::vector<std::vector<Signature65>>;

// Parses extra_data as described above. INVALID_ARGUMENT "extra_data: ..." naming the offset or
// entry for anything malformed.
absl::StatusOr<CiphertextAttestations> ParseCiphertextAttestations(ByteSpan extra_data);

// The version-1 encoding of `attestations`. INVALID_ARGUMENT when there are no ciphertexts, more
// than kMaxAttestedCiphertexts, or more than kMaxAttestationsPerCiphertext signatures for one.
absl::StatusOr<Bytes> EncodeCiphertextAttestations(const CiphertextAttestations& attestations);

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_CIPHERTEXT_ATTESTATION_H_
