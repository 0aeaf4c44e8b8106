#include "crypto/ciphertext_attestation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "crypto/keccak.h"

namespace kms::crypto {

Digest CiphertextDigest(ByteSpan ciphertext) { return Keccak256(ciphertext); }

Eip712Domain CiphertextAttestationDomain(std::optional<uint64_t> chain_id) {
  Eip712Domain d;
  d.name = kAttestationDomainName;
  d.version = kAttestationDomainVersion;
  if (chain_id.has_value()) d.chain_id = Uint256FromU64(*chain_id);
  return d;
}

Eip712Struct CiphertextAttestation(const CiphertextAttestationData& data) {
  Eip712Struct value("CiphertextAttestation");
  value.AddBytes32("keyId", data.key_id)
      .AddBytes32("handle", data.handle)
      .AddString("fheType", data.fhe_type)
      .AddUint32("ciphertextFormat", data.ciphertext_format)
      .AddBytes32("ciphertextDigest", data.ciphertext_digest);
  return value;
}

Digest CiphertextAttestationDigest(const Eip712Domain& domain,
                                   const CiphertextAttestationData& data) {
  return Eip712Digest(domain, CiphertextAttestation(data));
}

absl::StatusOr<CiphertextAttestations> ParseCiphertextAttestations(ByteSpan in) {
  CiphertextAttestations out;
  if (in.empty()) return out;
  if (in[0] == kAttestationsNone) {
    if (in.size() == 1) return out;
    return absl::InvalidArgumentError(
        absl::StrCat("extra_data: version byte 0x00 (no attestations) must stand alone; got ",
                     in.size() - 1, " more bytes"));
  }
  if (in[0] != kAttestationsV1) {
    return absl::InvalidArgumentError(
        absl::StrCat("extra_data: unknown version byte ", static_cast<int>(in[0]),
                     " (0x00: no attestations, 0x01: ciphertext attestations)"));
  }
  if (in.size() < 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("extra_data: truncated; version 1 needs a 4-byte ciphertext count, got ",
                     in.size() - 1, " bytes"));
  }
  const uint32_t count = static_cast<uint32_t>(in[1]) | (static_cast<uint32_t>(in[2]) << 8) |
                         (static_cast<uint32_t>(in[3]) << 16) |
                         (static_cast<uint32_t>(in[4]) << 24);
  if (count == 0 || count > kMaxAttestedCiphertexts) {
    return absl::InvalidArgumentError(absl::StrCat(
        "extra_data: ciphertext count ", count, " is out of range 1..", kMaxAttestedCiphertexts));
  }
  size_t pos = 5;
  // Every entry takes at least its count byte: a count the input cannot hold is refused before
  // anything is allocated for it.
  if (in.size() - pos < count) {
    return absl::InvalidArgumentError(absl::StrCat("extra_data: ciphertext count ", count,
                                                   " exceeds the ", in.size() - pos,
                                                   " bytes that follow it"));
  }
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (pos >= in.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("extra_data: entry ", i, " is missing (input ends at byte ", pos, ")"));
    }
    const size_t k = in[pos++];
    const size_t need = k * sizeof(Signature65);
    if (in.size() - pos < need) {
      return absl::InvalidArgumentError(absl::StrCat("extra_data: entry ", i, " announces ", k,
                                                     " signatures (", need, " bytes) but only ",
                                                     in.size() - pos, " bytes remain"));
    }
    std::vector<Signature65> sigs(k);
    for (size_t j = 0; j < k; ++j) {
      std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(pos), sizeof(Signature65),
                  sigs[j].begin());
      pos += sizeof(Signature65);
    }
    out.push_back(std::move(sigs));
  }
  if (pos != in.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("extra_data: ", in.size() - pos, " unexpected bytes after the last entry"));
  }
  return out;
}

absl::StatusOr<Bytes> EncodeCiphertextAttestations(const CiphertextAttestations& attestations) {
  if (attestations.empty() || attestations.size() > kMaxAttestedCiphertexts) {
    return absl::InvalidArgumentError(absl::StrCat("attestations for ", attestations.size(),
                                                   " ciphertexts; expected 1..",
                                                   kMaxAttestedCiphertexts));
  }
  Bytes out;
  out.push_back(kAttestationsV1);
  const uint32_t count = static_cast<uint32_t>(attestations.size());
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<uint8_t>(count >> shift));
  for (size_t i = 0; i < attestations.size(); ++i) {
    if (attestations[i].size() > kMaxAttestationsPerCiphertext) {
      return absl::InvalidArgumentError(
          absl::StrCat("ciphertext ", i, " has ", attestations[i].size(), " signatures; at most ",
                       kMaxAttestationsPerCiphertext));
    }
    out.push_back(static_cast<uint8_t>(attestations[i].size()));
    for (const Signature65& s : attestations[i]) out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

}  // namespace kms::crypto
