// File: crypto/reference_signed_results.h
//
// The EIP-712 messages the reference system kms v0.12.8 signs for public decryption, key
// generation, preprocessing and CRS generation (interop-kms-client.md §3, §4), so that the
// gateway's contracts, relayer-sdk and ethers verify our parties' signatures unchanged. Every
// signature is 65 bytes r ‖ s ‖ v with v = 27/28 and low-S (SigningKey::SignDigest), over
// Eip712Digest(request domain, message).
//
//   PublicDecryptVerification(bytes32[] ctHandles,bytes decryptedResult,bytes extraData)
//     ctHandles = left-pad32(external_handle) in request order,
//     decryptedResult = abi.encode(uint256 v_1, ..., uint256 v_n) (n big-endian words),
//     extraData = "" (v0.12.8 ignores the request's extra_data)
//   KeygenVerification(uint256 prepKeygenId,uint256 keyId,KeyDigest[] keyDigests)
//     KeyDigest(uint8 keyType,bytes digest), keyType 0 = ServerKey, 1 = PublicKey, in that order;
//     digest = SHAKE256-32("PDAT_KEY" ‖ safe_serialize(key))
//   PrepKeygenVerification(uint256 prepKeygenId)
//   CrsgenVerification(uint256 crsId,uint256 maxBitLength,bytes crsDigest)
// Ids are the 32 request-id bytes read as a big-endian uint256. (kms >= 0.13 appends
// "bytes extraData" to the last three; this is the v0.12.8 profile.)
//
// Thread safety: stateless; every function may run concurrently.
#ifndef KMS_CRYPTO_REFERENCE_SIGNED_RESULTS_H_
#define KMS_CRYPTO_REFERENCE_SIGNED_RESULTS_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/eip712.h"
#include "crypto/hash.h"

namespace kms::crypto::reference {

// tfhe-rs FheTypes discriminants that v0.12.8 accepts (0, 2..8).
inline constexpr int32_t kFheBool = 0;
inline constexpr int32_t kFheUint8 = 2;
inline constexpr int32_t kFheUint16 = 3;
inline constexpr int32_t kFheUint32 = 4;
inline constexpr int32_t kFheUint64 = 5;
inline constexpr int32_t kFheUint128 = 6;
inline constexpr int32_t kFheUint160 = 7;
inline constexpr int32_t kFheUint256 = 8;

// Bits of a supported type (Bool 1, Uint8 8, ..., Uint256 256); InvalidArgument otherwise
// (Uint4 = 1 and > 8 are refused, as in v0.12.8).
[[nodiscard]] absl::StatusOr<int> FheTypeBits(int32_t fhe_type);

// TypedPlaintext: little-endian bytes (ceil(bits/8) of them) and the type.
struct TypedPlaintext {
  Bytes bytes;
  int32_t fhe_type = 0;
};

// abi.encode of the plaintexts as uint256 words. InvalidArgument for an unsupported type or
// more than 32 bytes.
[[nodiscard]] absl::StatusOr<Bytes> AbiEncodePlaintexts(std::span<const TypedPlaintext> plaintexts);

// The EIP-712 domain from the proto fields: chain_id big-endian of at most 32 bytes (left-padded),
// verifying_contract EIP-55, salt empty or 32 bytes. InvalidArgument naming the field.
[[nodiscard]] absl::StatusOr<Eip712Domain> DomainFromProto(const std::string& name,
                                                           const std::string& version,
                                                           ByteSpan chain_id,
                                                           const std::string& verifying_contract,
                                                           ByteSpan salt);

// PublicDecryptVerification over the handles (each left-padded) and the ABI-encoded plaintexts,
// with extraData empty.
[[nodiscard]] absl::StatusOr<Eip712Struct> ReferencePublicDecryptVerification(
    std::span<const Bytes> handles, std::span<const TypedPlaintext> plaintexts);

// One key digest of KeygenVerification; key_type 0 = ServerKey, 1 = PublicKey.
struct KeyDigestEntry {
  uint8_t key_type = 0;
  Bytes digest;
};
inline constexpr uint8_t kKeyTypeServer = 0;
inline constexpr uint8_t kKeyTypePublic = 1;

Eip712Struct ReferenceKeygenVerification(const Digest& prep_keygen_id, const Digest& key_id,
                                         std::span<const KeyDigestEntry> key_digests);
Eip712Struct PrepKeygenVerification(const Digest& prep_keygen_id);
Eip712Struct CrsgenVerification(const Digest& crs_id, uint64_t max_bit_length, ByteSpan crs_digest);

// The legacy 64-byte public-decryption `signature`: ECDSA(SHA-256("PUBL_DEC" ‖ payload)).
// bincode(PublicDecryptionResponsePayload) = u64 41 ‖ verification key ‖ u64 n ‖
// n × (u64 len ‖ bytes ‖ i32 fhe_type) ‖ 01 ‖ u64 64 ‖ 64 ASCII hex of the request id.
Bytes EncodePublicDecryptionPayload(ByteSpan verification_key,
                                    std::span<const TypedPlaintext> plaintexts,
                                    const Digest& request_id);

}  // namespace kms::crypto::reference

#endif  // KMS_CRYPTO_REFERENCE_SIGNED_RESULTS_H_
