// File: crypto/reference_signed_results.cc
#include "crypto/reference_signed_results.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/reference_signcryption.h"

namespace kms::crypto::reference {

absl::StatusOr<int> FheTypeBits(int32_t fhe_type) {
  switch (fhe_type) {
    case kFheBool:
      return 1;
    case kFheUint8:
      return 8;
    case kFheUint16:
      return 16;
    case kFheUint32:
      return 32;
    case kFheUint64:
      return 64;
    case kFheUint128:
      return 128;
    case kFheUint160:
      return 160;
    case kFheUint256:
      return 256;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("fhe_type: ", fhe_type, " is not supported (0 and 2..8 are)"));
  }
}

absl::StatusOr<Bytes> AbiEncodePlaintexts(std::span<const TypedPlaintext> plaintexts) {
  Bytes out;
  out.reserve(32 * plaintexts.size());
  for (const TypedPlaintext& p : plaintexts) {
    KMS_RETURN_IF_ERROR(FheTypeBits(p.fhe_type).status());
    if (p.bytes.size() > 32) {
      return absl::InvalidArgumentError("plaintext: more than 32 bytes");
    }
    uint8_t word[32] = {};
    for (size_t i = 0; i < p.bytes.size(); ++i) word[31 - i] = p.bytes[i];  // LE -> BE
    out.insert(out.end(), word, word + 32);
  }
  return out;
}

absl::StatusOr<Eip712Domain> DomainFromProto(const std::string& name, const std::string& version,
                                             ByteSpan chain_id,
                                             const std::string& verifying_contract, ByteSpan salt) {
  Eip712Domain d;
  d.name = name;
  d.version = version;
  if (chain_id.size() > 32) return absl::InvalidArgumentError("domain: chain_id over 32 bytes");
  Uint256 c{};
  std::copy(chain_id.begin(), chain_id.end(), c.begin() + (32 - chain_id.size()));
  d.chain_id = c;
  KMS_ASSIGN_OR_RETURN(EthAddress contract, ParseEthAddress(verifying_contract));
  d.verifying_contract = contract;
  if (!salt.empty()) {
    if (salt.size() != 32) return absl::InvalidArgumentError("domain: salt must have 32 bytes");
    Digest s;
    std::copy(salt.begin(), salt.end(), s.begin());
    d.salt = s;
  }
  return d;
}

absl::StatusOr<Eip712Struct> ReferencePublicDecryptVerification(
    std::span<const Bytes> handles, std::span<const TypedPlaintext> plaintexts) {
  if (handles.size() != plaintexts.size()) {
    return absl::InvalidArgumentError("public decryption: one plaintext per handle");
  }
  std::vector<Digest> words;
  for (const Bytes& h : handles) {
    KMS_ASSIGN_OR_RETURN(Digest w, HandleWord(h));
    words.push_back(w);
  }
  KMS_ASSIGN_OR_RETURN(Bytes abi, AbiEncodePlaintexts(plaintexts));
  return PublicDecryptVerification(words, abi, ByteSpan());
}

namespace {
Eip712Struct KeyDigestStruct(uint8_t key_type, ByteSpan digest) {
  Eip712Struct s("KeyDigest");
  s.AddUint8("keyType", key_type).AddBytes("digest", digest);
  return s;
}
}  // namespace

Eip712Struct ReferenceKeygenVerification(const Digest& prep_keygen_id, const Digest& key_id,
                                         std::span<const KeyDigestEntry> key_digests) {
  std::vector<Eip712Struct> digests;
  for (const KeyDigestEntry& e : key_digests)
    digests.push_back(KeyDigestStruct(e.key_type, e.digest));
  Eip712Struct s("KeygenVerification");
  s.AddUint256("prepKeygenId", prep_keygen_id)
      .AddUint256("keyId", key_id)
      .AddStructArray("keyDigests", KeyDigestStruct(0, ByteSpan()), digests);
  return s;
}

Eip712Struct PrepKeygenVerification(const Digest& prep_keygen_id) {
  Eip712Struct s("PrepKeygenVerification");
  s.AddUint256("prepKeygenId", prep_keygen_id);
  return s;
}

Eip712Struct CrsgenVerification(const Digest& crs_id, uint64_t max_bit_length,
                                ByteSpan crs_digest) {
  Eip712Struct s("CrsgenVerification");
  s.AddUint256("crsId", crs_id)
      .AddUint256("maxBitLength", max_bit_length)
      .AddBytes("crsDigest", crs_digest);
  return s;
}

Bytes EncodePublicDecryptionPayload(ByteSpan verification_key,
                                    std::span<const TypedPlaintext> plaintexts,
                                    const Digest& request_id) {
  Bytes out;
  AppendU64Le(out, verification_key.size());
  Append(out, verification_key);
  AppendU64Le(out, plaintexts.size());
  for (const TypedPlaintext& p : plaintexts) {
    AppendU64Le(out, p.bytes.size());
    Append(out, p.bytes);
    for (int i = 0; i < 4; ++i)
      out.push_back(static_cast<uint8_t>(static_cast<uint32_t>(p.fhe_type) >> (8 * i)));
  }
  out.push_back(1);
  const std::string hex = ToHex(request_id);
  AppendU64Le(out, hex.size());
  Append(out, AsBytes(hex));
  return out;
}

}  // namespace kms::crypto::reference
