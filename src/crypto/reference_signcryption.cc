// File: crypto/reference_signcryption.cc
#include "crypto/reference_signcryption.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/random.h"

namespace kms::crypto::reference {
namespace {

constexpr std::string_view kVariantName = "UnifiedPublicEncKey";

void AppendU32Le(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void AppendVec(Bytes& out, ByteSpan data) {
  AppendU64Le(out, data.size());
  Append(out, data);
}

// A bounds-checked little-endian reader over outside bytes; every error names the field.
class Reader {
 public:
  Reader(ByteSpan data, const char* what) : data_(data), what_(what) {}

  size_t remaining() const { return data_.size() - offset_; }

  absl::StatusOr<ByteSpan> Take(size_t n, const char* field) {
    if (n > remaining()) {
      return absl::InvalidArgumentError(absl::StrCat(what_, ": ", field, " truncated (needs ", n,
                                                     " bytes, ", remaining(), " left)"));
    }
    ByteSpan out = data_.subspan(offset_, n);
    offset_ += n;
    return out;
  }
  absl::StatusOr<uint64_t> U64(const char* field) {
    KMS_ASSIGN_OR_RETURN(ByteSpan b, Take(8, field));
    return LoadU64Le(b.data());
  }
  absl::StatusOr<uint32_t> U32(const char* field) {
    KMS_ASSIGN_OR_RETURN(ByteSpan b, Take(4, field));
    return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 |
           static_cast<uint32_t>(b[2]) << 16 | static_cast<uint32_t>(b[3]) << 24;
  }
  // u64 length ‖ bytes, the length checked against what is left before anything is allocated.
  absl::StatusOr<ByteSpan> Vec(const char* field, size_t max = SIZE_MAX) {
    KMS_ASSIGN_OR_RETURN(uint64_t n, U64(field));
    if (n > remaining() || n > max) {
      return absl::InvalidArgumentError(absl::StrCat(what_, ": ", field, " length ", n,
                                                     " exceeds the ", std::min(remaining(), max),
                                                     " bytes allowed"));
    }
    return Take(static_cast<size_t>(n), field);
  }
  absl::Status End() const {
    if (remaining() != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what_, ": ", remaining(), " trailing bytes after the last field"));
    }
    return absl::OkStatus();
  }

 private:
  ByteSpan data_;
  const char* what_;
  size_t offset_ = 0;
};

Bytes MakeHeader() {
  Bytes h;
  AppendVec(h, AsBytes("0.5"));
  AppendU32Le(h, 0);  // Versioned
  AppendVec(h, AsBytes("0.1"));
  AppendVec(h, AsBytes(kVariantName));
  AppendU32Le(h, 0);  // UnifiedPublicEncKeyVersioned::V0
  return h;
}

std::array<uint8_t, 32> Sha256(ByteSpan message) {
  std::array<uint8_t, 32> out{};
  SHA256(message.data(), message.size(), out.data());
  return out;
}

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

absl::StatusOr<Bytes> AesGcmSeal(const SecretBytes& key, ByteSpan nonce, ByteSpan plaintext) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  Bytes out(plaintext.size() + kAesGcmTagSize);
  int written = 0, final_length = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1 ||
      (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out.data(), &written, plaintext.data(),
                                               static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &final_length) != 1 ||
      static_cast<size_t>(written + final_length) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAesGcmTagSize),
                          out.data() + plaintext.size()) != 1) {
    return absl::InternalError("reference signcryption: AES-256-GCM encryption failed");
  }
  return out;
}

absl::StatusOr<SecretBytes> AesGcmOpen(const SecretBytes& key, ByteSpan nonce, ByteSpan sealed) {
  if (sealed.size() < kAesGcmTagSize) {
    return absl::InvalidArgumentError("reference signcryption: payload_ct shorter than its tag");
  }
  const ByteSpan body = sealed.first(sealed.size() - kAesGcmTagSize);
  uint8_t tag[kAesGcmTagSize];
  std::memcpy(tag, sealed.data() + body.size(), sizeof(tag));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  SecretBytes plaintext(body.size());
  int written = 0, final_length = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1 ||
      (!body.empty() && EVP_DecryptUpdate(ctx.get(), plaintext.data(), &written, body.data(),
                                          static_cast<int>(body.size())) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(sizeof(tag)), tag) !=
          1 ||
      EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + written, &final_length) != 1) {
    return absl::InvalidArgumentError(
        "reference signcryption: cannot decrypt (another key, or tampered ciphertext)");
  }
  return plaintext;
}

Bytes InnerToSign(ByteSpan msg, const EthAddress& client_address, const Digest& key_digest) {
  Bytes to_sign;
  to_sign.reserve(8 + msg.size() + 20 + 32);
  Append(to_sign, AsBytes(kDsepUserDecryption));
  Append(to_sign, msg);
  Append(to_sign, client_address);
  Append(to_sign, key_digest);
  return to_sign;
}

absl::StatusOr<Bytes> SigncryptWith(const SigningKey& signer, const UserEncKey& user_key,
                                    const EthAddress& client_address, ByteSpan msg,
                                    MlKemEncapsulation enc, ByteSpan nonce) {
  if (msg.size() > kMaxSigncryptedSize) {
    return absl::InvalidArgumentError("reference signcryption: message too large");
  }
  const Signature64 sig =
      SignSha256(signer, InnerToSign(msg, client_address, UserKeyDigest(user_key)));
  const Digest trailer = SignerKeyTrailer(signer.verification_key());
  SecretBytes pt(msg.size() + kInnerSignatureSize + kTrailerSize);
  std::memcpy(pt.data(), msg.data(), msg.size());
  std::memcpy(pt.data() + msg.size(), sig.data(), sig.size());
  std::memcpy(pt.data() + msg.size() + sig.size(), trailer.data(), trailer.size());
  HybridKemCt ct;
  std::copy(nonce.begin(), nonce.end(), ct.nonce.begin());
  ct.kem_ct = std::move(enc.ciphertext);
  KMS_ASSIGN_OR_RETURN(ct.sealed, AesGcmSeal(enc.shared_secret, ct.nonce, pt.span()));
  return EncodeHybridKemCt(ct);
}

}  // namespace

const std::array<uint8_t, kUserEncKeyHeaderSize> kUserEncKeyHeader = [] {
  std::array<uint8_t, kUserEncKeyHeaderSize> out{};
  const Bytes h = MakeHeader();
  std::copy(h.begin(), h.end(), out.begin());
  return out;
}();

absl::StatusOr<Bytes> EncodeUserEncKey(const MlKemParameters& params, ByteSpan ek) {
  if (params != kMlKem512 && params != kMlKem1024) {
    return absl::InvalidArgumentError("user key: only ML-KEM-512 and ML-KEM-1024 are encodable");
  }
  if (ek.size() != params.encapsulation_key_size) {
    return absl::InvalidArgumentError(absl::StrCat("user key: ", std::string(params.name),
                                                   " ek must have ", params.encapsulation_key_size,
                                                   " bytes, not ", ek.size()));
  }
  Bytes out(kUserEncKeyHeader.begin(), kUserEncKeyHeader.end());
  AppendU32Le(out, params == kMlKem512 ? 0 : 1);
  AppendVec(out, ek);
  return out;
}

absl::StatusOr<Bytes> EncodeLegacyUserEncKey(ByteSpan ek1024) {
  if (ek1024.size() != kMlKem1024.encapsulation_key_size) {
    return absl::InvalidArgumentError("user key: a legacy key is an ML-KEM-1024 ek of 1568 bytes");
  }
  Bytes out;
  AppendVec(out, ek1024);
  return out;
}

absl::StatusOr<UserEncKey> ParseUserEncKey(ByteSpan enc_key) {
  UserEncKey key;
  key.encoded.assign(enc_key.begin(), enc_key.end());
  const size_t legacy_size = 8 + kMlKem1024.encapsulation_key_size;
  if (enc_key.size() == legacy_size &&
      LoadU64Le(enc_key.data()) == kMlKem1024.encapsulation_key_size) {
    key.params = &kMlKem1024;
    key.ek.assign(enc_key.begin() + 8, enc_key.end());
  } else {
    if (enc_key.size() < kUserEncKeyHeaderSize + 4 ||
        !std::equal(kUserEncKeyHeader.begin(), kUserEncKeyHeader.end(), enc_key.begin())) {
      return absl::InvalidArgumentError(
          "enc_key: neither a bincode ML-KEM-1024 key nor a safe-serialized UnifiedPublicEncKey "
          "(header)");
    }
    Reader r(enc_key.subspan(kUserEncKeyHeaderSize), "enc_key");
    KMS_ASSIGN_OR_RETURN(uint32_t variant, r.U32("UnifiedPublicEncKey variant"));
    if (variant > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("enc_key: unknown UnifiedPublicEncKey variant ", variant));
    }
    key.params = variant == 0 ? &kMlKem512 : &kMlKem1024;
    KMS_ASSIGN_OR_RETURN(ByteSpan ek, r.Vec("encapsulation key"));
    KMS_RETURN_IF_ERROR(r.End());
    key.ek.assign(ek.begin(), ek.end());
  }
  KMS_RETURN_IF_ERROR(MlKem(*key.params).CheckEncapsulationKey(key.ek));
  if (key.params == &kMlKem512) {
    key.eip712_public_key = *EncodeUserEncKey(kMlKem512, key.ek);
  } else {
    AppendVec(key.eip712_public_key, key.ek);
  }
  return key;
}

SecretBytes EncodeUserDecKey(const SecretBytes& dk) {
  SecretBytes out(8 + dk.size());
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(uint64_t{dk.size()} >> (8 * i));
  std::memcpy(out.data() + 8, dk.data(), dk.size());
  return out;
}

absl::StatusOr<SecretBytes> ParseUserDecKey(ByteSpan encoded) {
  Reader r(encoded, "user decryption key");
  KMS_ASSIGN_OR_RETURN(ByteSpan dk, r.Vec("decapsulation key"));
  KMS_RETURN_IF_ERROR(r.End());
  const MlKemParameters* params = nullptr;
  if (dk.size() == kMlKem512.decapsulation_key_size) params = &kMlKem512;
  if (dk.size() == kMlKem1024.decapsulation_key_size) params = &kMlKem1024;
  if (params == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("user decryption key: ", dk.size(),
                                                   " bytes is neither ML-KEM-512 nor ML-KEM-1024"));
  }
  KMS_RETURN_IF_ERROR(MlKem(*params).CheckDecapsulationKey(dk));
  return SecretBytes(dk);
}

Bytes EncodePublicSigKey(const VerificationKey& key) {
  Bytes out;
  AppendVec(out, key.SerializeCompressed());
  return out;
}

absl::StatusOr<VerificationKey> ParsePublicSigKey(ByteSpan encoded) {
  Reader r(encoded, "verification_key");
  KMS_ASSIGN_OR_RETURN(ByteSpan point, r.Vec("SEC1 point", VerificationKey::kUncompressedSize));
  KMS_RETURN_IF_ERROR(r.End());
  return VerificationKey::Parse(point);
}

Digest UserKeyDigest(const UserEncKey& key) {
  Shake256 h;
  h.Update(kDsepSigncryption).UpdateU64Le(key.ek.size()).Update(key.ek);
  return h.Finish32();
}

Digest SignerKeyTrailer(const VerificationKey& key) {
  return HashElement(kDsepSigncryption, EncodePublicSigKey(key));
}

Signature64 SignSha256(const SigningKey& key, ByteSpan message) {
  const Signature65 full = key.SignDigest(Sha256(message));
  Signature64 out;
  std::copy_n(full.begin(), out.size(), out.begin());
  return out;
}

bool VerifySha256(const VerificationKey& key, ByteSpan message, ByteSpan signature) {
  if (signature.size() != kInnerSignatureSize) return false;
  const Digest digest = Sha256(message);
  Signature65 full{};
  std::copy(signature.begin(), signature.end(), full.begin());
  // The 64-byte form has no recovery id; the signature is valid iff one of the two verifies.
  for (uint8_t v : {27, 28}) {
    full[64] = v;
    if (key.VerifyDigest(digest, full)) return true;
  }
  return false;
}

Bytes EncodeSigncryptionPayload(ByteSpan plaintext, int32_t fhe_type, ByteSpan link) {
  Bytes out;
  out.reserve(8 + plaintext.size() + 4 + 8 + link.size());
  AppendVec(out, plaintext);
  AppendU32Le(out, static_cast<uint32_t>(fhe_type));
  AppendVec(out, link);
  return out;
}

absl::StatusOr<SigncryptionPayload> ParseSigncryptionPayload(ByteSpan msg) {
  Reader r(msg, "signcryption payload");
  SigncryptionPayload out;
  KMS_ASSIGN_OR_RETURN(ByteSpan pt, r.Vec("plaintext bytes"));
  KMS_ASSIGN_OR_RETURN(uint32_t type, r.U32("fhe_type"));
  KMS_ASSIGN_OR_RETURN(ByteSpan link, r.Vec("link"));
  KMS_RETURN_IF_ERROR(r.End());
  out.plaintext.assign(pt.begin(), pt.end());
  out.fhe_type = static_cast<int32_t>(type);
  out.link.assign(link.begin(), link.end());
  return out;
}

Bytes EncodeResiduePolys(std::span<const algebra::Gr128> polys) {
  Bytes out(8 + polys.size() * algebra::Gr128::kEncodedSize);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(uint64_t{polys.size()} >> (8 * i));
  for (size_t i = 0; i < polys.size(); ++i) {
    polys[i].Encode(out.data() + 8 + i * algebra::Gr128::kEncodedSize);
  }
  return out;
}

absl::StatusOr<std::vector<algebra::Gr128>> ParseResiduePolys(ByteSpan data, size_t max_count) {
  Reader r(data, "share vector");
  KMS_ASSIGN_OR_RETURN(uint64_t count, r.U64("element count"));
  if (count > max_count || count > r.remaining() / algebra::Gr128::kEncodedSize) {
    return absl::InvalidArgumentError(absl::StrCat("share vector: element count ", count,
                                                   " exceeds ", max_count, " or the bytes left"));
  }
  std::vector<algebra::Gr128> out;
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    KMS_ASSIGN_OR_RETURN(ByteSpan b, r.Take(algebra::Gr128::kEncodedSize, "element"));
    out.push_back(algebra::Gr128::Decode(b.data()));
  }
  KMS_RETURN_IF_ERROR(r.End());
  return out;
}

Bytes EncodeHybridKemCt(const HybridKemCt& ct) {
  Bytes out;
  out.reserve(kHybridNonceSize + 16 + ct.kem_ct.size() + ct.sealed.size());
  Append(out, ct.nonce);
  AppendVec(out, ct.kem_ct);
  AppendVec(out, ct.sealed);
  return out;
}

absl::StatusOr<HybridKemCt> ParseHybridKemCt(ByteSpan data) {
  Reader r(data, "signcrypted ciphertext");
  HybridKemCt ct;
  KMS_ASSIGN_OR_RETURN(ByteSpan nonce, r.Take(kHybridNonceSize, "nonce"));
  std::copy(nonce.begin(), nonce.end(), ct.nonce.begin());
  KMS_ASSIGN_OR_RETURN(ByteSpan kem_ct, r.Vec("kem_ct", kMlKem1024.ciphertext_size));
  KMS_ASSIGN_OR_RETURN(ByteSpan sealed, r.Vec("payload_ct", kMaxSigncryptedSize));
  KMS_RETURN_IF_ERROR(r.End());
  ct.kem_ct.assign(kem_ct.begin(), kem_ct.end());
  ct.sealed.assign(sealed.begin(), sealed.end());
  return ct;
}

absl::StatusOr<Bytes> Signcrypt(const SigningKey& signer, const UserEncKey& user_key,
                                const EthAddress& client_address, ByteSpan msg) {
  if (user_key.params == nullptr) return absl::InvalidArgumentError("user key: not parsed");
  KMS_ASSIGN_OR_RETURN(MlKemEncapsulation enc, MlKem(*user_key.params).Encaps(user_key.ek));
  std::array<uint8_t, kHybridNonceSize> nonce;
  OsRandom(nonce);
  return SigncryptWith(signer, user_key, client_address, msg, std::move(enc), nonce);
}

absl::StatusOr<Bytes> SigncryptDeterministic(const SigningKey& signer, const UserEncKey& user_key,
                                             const EthAddress& client_address, ByteSpan msg,
                                             ByteSpan kem_message, ByteSpan nonce) {
  if (user_key.params == nullptr) return absl::InvalidArgumentError("user key: not parsed");
  if (nonce.size() != kHybridNonceSize) {
    return absl::InvalidArgumentError("reference signcryption: nonce must have 12 bytes");
  }
  KMS_ASSIGN_OR_RETURN(MlKemEncapsulation enc,
                       MlKem(*user_key.params).EncapsWithMessage(user_key.ek, kem_message));
  return SigncryptWith(signer, user_key, client_address, msg, std::move(enc), nonce);
}

absl::StatusOr<Bytes> Unsigncrypt(const SecretBytes& dk, const UserEncKey& user_key,
                                  const EthAddress& client_address, const VerificationKey& signer,
                                  ByteSpan ciphertext) {
  if (user_key.params == nullptr) return absl::InvalidArgumentError("user key: not parsed");
  KMS_ASSIGN_OR_RETURN(HybridKemCt ct, ParseHybridKemCt(ciphertext));
  if (ct.kem_ct.size() != user_key.params->ciphertext_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signcrypted ciphertext: kem_ct has ", ct.kem_ct.size(), " bytes, ",
        std::string(user_key.params->name), " needs ", user_key.params->ciphertext_size));
  }
  KMS_ASSIGN_OR_RETURN(SecretBytes key, MlKem(*user_key.params).Decaps(dk.span(), ct.kem_ct));
  KMS_ASSIGN_OR_RETURN(SecretBytes pt, AesGcmOpen(key, ct.nonce, ct.sealed));
  if (pt.size() < kInnerSignatureSize + kTrailerSize) {
    return absl::InvalidArgumentError("reference signcryption: plaintext shorter than its trailer");
  }
  const size_t msg_size = pt.size() - kInnerSignatureSize - kTrailerSize;
  const ByteSpan msg = pt.span().first(msg_size);
  const ByteSpan sig = pt.span().subspan(msg_size, kInnerSignatureSize);
  const ByteSpan trailer = pt.span().last(kTrailerSize);
  const Digest expected_trailer = SignerKeyTrailer(signer);
  if (!std::equal(trailer.begin(), trailer.end(), expected_trailer.begin())) {
    return absl::InvalidArgumentError(
        "reference signcryption: the trailer names another verification key");
  }
  if (!VerifySha256(signer, InnerToSign(msg, client_address, UserKeyDigest(user_key)), sig)) {
    return absl::InvalidArgumentError("reference signcryption: bad inner signature");
  }
  return Bytes(msg.begin(), msg.end());
}

Bytes EncodeUserDecryptionPayload(const UserDecryptionPayload& payload) {
  Bytes out;
  AppendVec(out, payload.verification_key);
  AppendVec(out, payload.digest);
  AppendU64Le(out, payload.entries.size());
  for (const SigncryptedEntry& e : payload.entries) {
    AppendU32Le(out, static_cast<uint32_t>(e.fhe_type));
    AppendVec(out, e.signcrypted_ciphertext);
    AppendVec(out, e.external_handle);
    AppendU32Le(out, e.packing_factor);
  }
  AppendU32Le(out, payload.party_id);
  AppendU32Le(out, payload.degree);
  return out;
}

absl::StatusOr<UserDecryptionPayload> ParseUserDecryptionPayload(ByteSpan data) {
  Reader r(data, "user decryption payload");
  UserDecryptionPayload p;
  KMS_ASSIGN_OR_RETURN(ByteSpan vk,
                       r.Vec("verification_key", 8 + VerificationKey::kUncompressedSize));
  KMS_ASSIGN_OR_RETURN(ByteSpan digest, r.Vec("digest", 1024));
  p.verification_key.assign(vk.begin(), vk.end());
  p.digest.assign(digest.begin(), digest.end());
  KMS_ASSIGN_OR_RETURN(uint64_t count, r.U64("signcrypted_ciphertexts count"));
  // Each entry takes at least 4 + 8 + 8 + 4 bytes.
  if (count > kMaxResponseEntries || count > r.remaining() / 24) {
    return absl::InvalidArgumentError(absl::StrCat(
        "user decryption payload: signcrypted_ciphertexts count ", count, " is too large"));
  }
  p.entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    SigncryptedEntry e;
    KMS_ASSIGN_OR_RETURN(uint32_t type, r.U32("fhe_type"));
    e.fhe_type = static_cast<int32_t>(type);
    KMS_ASSIGN_OR_RETURN(ByteSpan ct, r.Vec("signcrypted_ciphertext", kMaxSigncryptedSize));
    KMS_ASSIGN_OR_RETURN(ByteSpan handle, r.Vec("external_handle", kMaxHandleSize));
    KMS_ASSIGN_OR_RETURN(e.packing_factor, r.U32("packing_factor"));
    e.signcrypted_ciphertext.assign(ct.begin(), ct.end());
    e.external_handle.assign(handle.begin(), handle.end());
    p.entries.push_back(std::move(e));
  }
  KMS_ASSIGN_OR_RETURN(p.party_id, r.U32("party_id"));
  KMS_ASSIGN_OR_RETURN(p.degree, r.U32("degree"));
  KMS_RETURN_IF_ERROR(r.End());
  return p;
}

absl::StatusOr<Digest> HandleWord(ByteSpan handle) {
  if (handle.size() > kMaxHandleSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("external_handle: ", handle.size(), " bytes, at most 32 allowed"));
  }
  Digest word{};
  std::copy(handle.begin(), handle.end(), word.begin() + (32 - handle.size()));
  return word;
}

absl::StatusOr<Digest> ComputeLink(const Eip712Domain& domain, const UserEncKey& user_key,
                                   std::span<const Bytes> handles,
                                   const EthAddress& client_address) {
  std::vector<Digest> words;
  words.reserve(handles.size());
  for (const Bytes& h : handles) {
    KMS_ASSIGN_OR_RETURN(Digest w, HandleWord(h));
    words.push_back(w);
  }
  return Eip712Digest(domain, UserDecryptionLinker(user_key.encoded, words, client_address));
}

absl::StatusOr<Digest> UserDecryptResponseDigest(const Eip712Domain& domain,
                                                 const UserEncKey& user_key,
                                                 const UserDecryptionPayload& payload,
                                                 ByteSpan payload_bytes) {
  std::vector<Digest> words;
  words.reserve(payload.entries.size());
  for (const SigncryptedEntry& e : payload.entries) {
    KMS_ASSIGN_OR_RETURN(Digest w, HandleWord(e.external_handle));
    words.push_back(w);
  }
  return Eip712Digest(domain, UserDecryptResponseVerification(user_key.eip712_public_key, words,
                                                              payload_bytes, ByteSpan()));
}

absl::StatusOr<UserDecryptionResponse> MakeUserDecryptionResponse(
    const SigningKey& signer, const Eip712Domain& domain, const UserEncKey& user_key,
    const EthAddress& client_address, std::span<const ResponseEntryInput> entries,
    uint32_t party_id, uint32_t degree) {
  if (entries.empty()) return absl::InvalidArgumentError("user decryption: no ciphertexts");
  std::vector<Bytes> handles;
  for (const ResponseEntryInput& e : entries) handles.push_back(e.external_handle);
  KMS_ASSIGN_OR_RETURN(Digest link, ComputeLink(domain, user_key, handles, client_address));
  UserDecryptionPayload payload;
  payload.verification_key = EncodePublicSigKey(signer.verification_key());
  payload.digest.assign(link.begin(), link.end());
  payload.party_id = party_id;
  payload.degree = degree;
  for (const ResponseEntryInput& e : entries) {
    // msg holds this party's shares: wiped once it is encrypted.
    Bytes msg = EncodeSigncryptionPayload(e.plaintext, e.fhe_type, link);
    SigncryptedEntry out;
    out.fhe_type = e.fhe_type;
    auto ct = Signcrypt(signer, user_key, client_address, msg);
    SecureZero(msg);
    if (!ct.ok()) return ct.status();
    out.signcrypted_ciphertext = std::move(*ct);
    out.external_handle = e.external_handle;
    out.packing_factor = e.packing_factor;
    payload.entries.push_back(std::move(out));
  }
  UserDecryptionResponse response;
  response.payload = EncodeUserDecryptionPayload(payload);
  KMS_ASSIGN_OR_RETURN(Digest digest,
                       UserDecryptResponseDigest(domain, user_key, payload, response.payload));
  response.external_signature = signer.SignDigest(digest);
  Bytes legacy(kDsepUserDecryption.begin(), kDsepUserDecryption.end());
  Append(legacy, response.payload);
  response.signature = SignSha256(signer, legacy);
  return response;
}

}  // namespace kms::crypto::reference
