#include "crypto/signcryption.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/hybrid_encryption.h"

namespace kms::crypto {
namespace {

constexpr size_t kSignatureSize = 65;

void AppendU32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void AppendField32(Bytes& out, ByteSpan data) {
  AppendU32(out, static_cast<uint32_t>(data.size()));
  Append(out, data);
}

}  // namespace

Digest SigncryptionDigest(ByteSpan payload, const Digest& link, ByteSpan recipient_public_key) {
  const Digest recipient = HashElement(kDsepSigncryption, recipient_public_key);
  Shake256 h;
  h.Update(kDsepUserDecryption).Update(payload).Update(link).Update(recipient);
  return h.Finish32();
}

absl::StatusOr<Bytes> Signcrypt(const SigningKey& signing_key, ByteSpan recipient_public_key,
                                ByteSpan payload, const Digest& link) {
  if (payload.size() > kMaxSigncryptionPayload) {
    return absl::InvalidArgumentError(absl::StrCat("signcryption: payload of ", payload.size(),
                                                   " bytes exceeds ", kMaxSigncryptionPayload));
  }
  if (recipient_public_key.size() != X25519Kem::kKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("signcryption: recipient public key must be ",
                                                   X25519Kem::kKeySize, " bytes (X25519), got ",
                                                   recipient_public_key.size()));
  }
  const Signature65 sig =
      signing_key.SignDigest(SigncryptionDigest(payload, link, recipient_public_key));
  const auto vk = signing_key.verification_key().SerializeCompressed();
  SecretBytes plaintext(payload.size() + kSigncryptionTrailerSize);
  std::copy(payload.begin(), payload.end(), plaintext.data());
  std::memcpy(plaintext.data() + payload.size(), sig.data(), sig.size());
  std::memcpy(plaintext.data() + payload.size() + sig.size(), vk.data(), vk.size());
  X25519Kem kem;
  return HybridEncrypt(kem, recipient_public_key, plaintext.span(), link);
}

absl::StatusOr<Bytes> Unsigncrypt(const SecretBytes& recipient_private_key, ByteSpan ciphertext,
                                  const Digest& link, const EthAddress& expected_signer) {
  X25519Kem kem;
  absl::StatusOr<Bytes> opened = HybridDecrypt(kem, recipient_private_key, ciphertext, link);
  if (!opened.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signcryption: cannot decrypt (not encrypted to this key, another request's "
                     "link, or tampered): ",
                     opened.status().message()));
  }
  // Wipe the plaintext whatever happens below; only the returned copy survives.
  SecretBytes plain(*opened);
  SecureZero(*opened);
  if (plain.size() < kSigncryptionTrailerSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("signcryption: envelope too short: ", plain.size(), " bytes, the trailer is ",
                     kSigncryptionTrailerSize));
  }
  const size_t payload_size = plain.size() - kSigncryptionTrailerSize;
  const ByteSpan payload(plain.data(), payload_size);
  Signature65 sig;
  std::memcpy(sig.data(), plain.data() + payload_size, kSignatureSize);
  KMS_ASSIGN_OR_RETURN(VerificationKey vk,
                       VerificationKey::Parse(ByteSpan(plain.data() + payload_size + kSignatureSize,
                                                       VerificationKey::kCompressedSize)));
  if (vk.EthereumAddress() != expected_signer) {
    return absl::InvalidArgumentError(absl::StrCat("signcryption: signed by ",
                                                   vk.EthereumAddressChecksummed(), ", expected ",
                                                   ChecksumAddress(expected_signer)));
  }
  KMS_ASSIGN_OR_RETURN(Bytes my_public_key, X25519Kem::PublicKeyOf(recipient_private_key));
  if (!vk.VerifyDigest(SigncryptionDigest(payload, link, my_public_key), sig)) {
    return absl::InvalidArgumentError(
        "signcryption: bad signature (the share was not made for this recipient key and link, "
        "or it was altered)");
  }
  return Bytes(payload.begin(), payload.end());
}

Bytes EncodeUserDecryptedShares(const UserDecryptedShareHeader& header,
                                std::span<const SigncryptedShare> shares) {
  Bytes out;
  Append(out, AsBytes("KMSUDS01"));
  AppendU32(out, header.party_id);
  AppendU32(out, header.degree);
  AppendU32(out, header.num_parties);
  AppendField32(out, AsBytes(header.fhe_parameter));
  AppendU32(out, static_cast<uint32_t>(shares.size()));
  for (const SigncryptedShare& s : shares) {
    AppendField32(out, AsBytes(s.fhe_type));
    AppendField32(out, s.external_handle);
    AppendU32(out, s.block_count);
    AppendU32(out, s.packing_factor);
    AppendU64Le(out, s.signcrypted_share.size());
    Append(out, s.signcrypted_share);
  }
  return out;
}

}  // namespace kms::crypto
