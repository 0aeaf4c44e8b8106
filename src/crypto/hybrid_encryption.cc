#include "crypto/hybrid_encryption.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/random.h"

namespace kms::crypto {
namespace {

// ---------------------------------------------------------------------------------------------
// OpenSSL handles

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

constexpr size_t kAesKeySize = 32;

// Failures leave entries in OpenSSL's per-thread error queue; they are cleared so that they are
// not mistaken later for the cause of an unrelated failure (TLS code reads the same queue).
absl::Status OpenSslError(const char* what) {
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("OpenSSL: ", what));
}

// ---------------------------------------------------------------------------------------------
// X25519 and HKDF

// REQUIRES: private_key.size() == 32. OpenSSL keeps its copy of the key in memory it cleanses on
// free.
absl::StatusOr<PkeyPtr> X25519PrivateKey(const SecretBytes& private_key) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(),
                                           private_key.size()));
  if (key == nullptr) return OpenSslError("cannot load an X25519 private key");
  return key;
}

absl::StatusOr<Bytes> X25519PublicKey(EVP_PKEY* private_key) {
  Bytes out(X25519Kem::kKeySize);
  size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(private_key, out.data(), &length) != 1 || length != out.size()) {
    return OpenSslError("cannot compute an X25519 public key");
  }
  return out;
}

// X25519(private_key, peer_public). `peer_name` names the peer key in errors.
absl::StatusOr<SecretBytes> X25519(EVP_PKEY* private_key, ByteSpan peer_public,
                                   const char* peer_name) {
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(),
                                           peer_public.size()));
  if (peer == nullptr) return OpenSslError("cannot load an X25519 public key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(private_key, nullptr));
  if (ctx == nullptr || EVP_PKEY_derive_init(ctx.get()) != 1) {
    return OpenSslError("cannot start an X25519 exchange");
  }
  if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(peer_name, " is not a usable X25519 public key"));
  }
  SecretBytes shared(X25519Kem::kKeySize);
  size_t length = shared.size();
  // OpenSSL fails the derivation when the result is all zero, which happens exactly for a peer
  // key of small order (RFC 7748 §6.1); check again rather than rely on it.
  const bool derived = EVP_PKEY_derive(ctx.get(), shared.data(), &length) == 1;
  uint8_t any = 0;
  for (size_t i = 0; i < shared.size(); ++i) any |= shared[i];
  if (!derived || length != shared.size() || any == 0) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(peer_name, " is a small-order X25519 point (no shared secret)"));
  }
  return shared;
}

// HKDF-SHA256 (RFC 5869) to 32 bytes.
absl::StatusOr<SecretBytes> HkdfSha256(const SecretBytes& ikm, ByteSpan salt,
                                       std::string_view info) {
  // Fetching the algorithm looks it up in the provider tables; do it once per process. The
  // EVP_KDF object is reference-counted and safe to share between threads.
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return OpenSslError("HKDF is not available");
  KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf));
  if (ctx == nullptr) return OpenSslError("cannot create an HKDF context");
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()),
                                        ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(kAesKeySize);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return OpenSslError("HKDF-SHA256 failed");
  }
  return out;
}

// The X25519Kem shared secret (file comment of the header).
absl::StatusOr<SecretBytes> DeriveSharedSecret(const SecretBytes& dh, ByteSpan ephemeral_public,
                                               ByteSpan recipient_public) {
  Bytes salt;
  salt.reserve(ephemeral_public.size() + recipient_public.size());
  Append(salt, ephemeral_public);
  Append(salt, recipient_public);
  return HkdfSha256(dh, salt, X25519Kem::kName);
}

// ---------------------------------------------------------------------------------------------
// Wire format

void AppendU32Le(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void AppendField(Bytes& out, ByteSpan field) {
  AppendU32Le(out, static_cast<uint32_t>(field.size()));
  Append(out, field);
}

// Reads length-prefixed fields from untrusted bytes, checking each length against its bounds and
// against what is left before touching the data.
class FieldReader {
 public:
  explicit FieldReader(ByteSpan data) : data_(data) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return data_.size() - offset_; }

  absl::StatusOr<ByteSpan> Read(const char* field, size_t min_size, size_t max_size) {
    if (remaining() < 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("hybrid ciphertext is truncated: the length of the ", field, " is missing"));
    }
    const uint8_t* p = data_.data() + offset_;
    const size_t size = static_cast<size_t>(p[0]) | static_cast<size_t>(p[1]) << 8 |
                        static_cast<size_t>(p[2]) << 16 | static_cast<size_t>(p[3]) << 24;
    offset_ += 4;
    if (size < min_size || size > max_size) {
      return absl::InvalidArgumentError(absl::StrCat("hybrid ciphertext ", field, " length ", size,
                                                     " is outside [", min_size, ", ", max_size,
                                                     "]"));
    }
    if (size > remaining()) {
      return absl::InvalidArgumentError(absl::StrCat("hybrid ciphertext is truncated: the ", field,
                                                     " needs ", size, " bytes, ", remaining(),
                                                     " are left"));
    }
    ByteSpan out = data_.subspan(offset_, size);
    offset_ += size;
    return out;
  }

 private:
  ByteSpan data_;
  size_t offset_ = 0;
};

// ---------------------------------------------------------------------------------------------
// AES-256-GCM

// Seals `plaintext` and appends ciphertext ‖ tag to `out`.
absl::Status AesGcmSeal(const SecretBytes& key, ByteSpan nonce, ByteSpan aad_header, ByteSpan aad,
                        ByteSpan plaintext, Bytes& out) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, aad_header.data(),
                        static_cast<int>(aad_header.size())) != 1) {
    return OpenSslError("cannot start AES-256-GCM encryption");
  }
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &length, aad.data(),
                                        static_cast<int>(aad.size())) != 1) {
    return OpenSslError("AES-256-GCM rejected the additional data");
  }
  const size_t start = out.size();
  out.resize(start + plaintext.size() + kHybridTagSize);
  uint8_t* dst = out.data() + start;
  int written = 0;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), dst, &written, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1) {
    return OpenSslError("AES-256-GCM encryption failed");
  }
  int final_length = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), dst + written, &final_length) != 1 ||
      static_cast<size_t>(written + final_length) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kHybridTagSize),
                          dst + plaintext.size()) != 1) {
    return OpenSslError("AES-256-GCM finalisation failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<Bytes> AesGcmOpen(const SecretBytes& key, ByteSpan nonce, ByteSpan aad_header,
                                 ByteSpan aad, ByteSpan sealed) {
  const ByteSpan body = sealed.first(sealed.size() - kHybridTagSize);
  const ByteSpan tag = sealed.last(kHybridTagSize);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, aad_header.data(),
                        static_cast<int>(aad_header.size())) != 1) {
    return OpenSslError("cannot start AES-256-GCM decryption");
  }
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &length, aad.data(),
                                        static_cast<int>(aad.size())) != 1) {
    return OpenSslError("AES-256-GCM rejected the additional data");
  }
  // GCM writes plaintext before it can check the tag; a buffer that fails the check is wiped
  // before it is released (SecretBytes), and only a verified plaintext is copied out.
  SecretBytes plaintext(body.size());
  int written = 0;
  if (!body.empty() && EVP_DecryptUpdate(ctx.get(), plaintext.data(), &written, body.data(),
                                         static_cast<int>(body.size())) != 1) {
    return OpenSslError("AES-256-GCM decryption failed");
  }
  uint8_t tag_copy[kHybridTagSize];
  std::memcpy(tag_copy, tag.data(), sizeof(tag_copy));
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(sizeof(tag_copy)),
                          tag_copy) != 1) {
    return OpenSslError("AES-256-GCM rejected the tag length");
  }
  // GCM's final step writes nothing, but OpenSSL still wants a valid output pointer.
  uint8_t unused[kHybridTagSize];
  int final_length = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), unused, &final_length) != 1 || final_length != 0) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "hybrid ciphertext failed authentication (AES-GCM tag mismatch): wrong private key, "
        "wrong additional data, or tampered bytes");
  }
  return Bytes(plaintext.data(), plaintext.data() + plaintext.size());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// X25519Kem

KemKeyPair X25519Kem::GenerateKeyPair() const {
  // Every 32-byte string is a valid X25519 private key (the scalar is clamped when used).
  KemKeyPair pair;
  pair.private_key = SecretBytes(kKeySize);
  OsRandom(pair.private_key.span());
  absl::StatusOr<Bytes> public_key = PublicKeyOf(pair.private_key);
  if (!public_key.ok()) {
    // Only an OpenSSL allocation failure gets here; a key pair without a public key is useless.
    std::fprintf(stderr, "fatal: %s\n", std::string(public_key.status().message()).c_str());
    std::abort();
  }
  pair.public_key = *std::move(public_key);
  return pair;
}

absl::StatusOr<Bytes> X25519Kem::PublicKeyOf(const SecretBytes& private_key) {
  if (private_key.size() != kKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("X25519 private key must be ", kKeySize, " bytes, got ", private_key.size()));
  }
  KMS_ASSIGN_OR_RETURN(PkeyPtr key, X25519PrivateKey(private_key));
  return X25519PublicKey(key.get());
}

absl::StatusOr<Encapsulation> X25519Kem::Encapsulate(ByteSpan public_key) const {
  if (public_key.size() != kKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("X25519 recipient public key must be ", kKeySize,
                                                   " bytes, got ", public_key.size()));
  }
  SecretBytes ephemeral_private(kKeySize);
  OsRandom(ephemeral_private.span());
  KMS_ASSIGN_OR_RETURN(PkeyPtr ephemeral, X25519PrivateKey(ephemeral_private));
  KMS_ASSIGN_OR_RETURN(Bytes ephemeral_public, X25519PublicKey(ephemeral.get()));
  KMS_ASSIGN_OR_RETURN(SecretBytes dh, X25519(ephemeral.get(), public_key, "recipient public key"));
  KMS_ASSIGN_OR_RETURN(SecretBytes shared, DeriveSharedSecret(dh, ephemeral_public, public_key));
  return Encapsulation{std::move(ephemeral_public), std::move(shared)};
}

absl::StatusOr<SecretBytes> X25519Kem::Decapsulate(const SecretBytes& private_key,
                                                   ByteSpan encapsulation) const {
  if (private_key.size() != kKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("X25519 private key must be ", kKeySize, " bytes, got ", private_key.size()));
  }
  if (encapsulation.size() != kKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("X25519 encapsulation must be ", kKeySize,
                                                   " bytes, got ", encapsulation.size()));
  }
  KMS_ASSIGN_OR_RETURN(PkeyPtr key, X25519PrivateKey(private_key));
  KMS_ASSIGN_OR_RETURN(Bytes recipient_public, X25519PublicKey(key.get()));
  KMS_ASSIGN_OR_RETURN(SecretBytes dh, X25519(key.get(), encapsulation, "encapsulation"));
  return DeriveSharedSecret(dh, encapsulation, recipient_public);
}

// ---------------------------------------------------------------------------------------------
// Hybrid encryption

absl::StatusOr<Bytes> HybridEncrypt(const Kem& kem, ByteSpan recipient_public_key,
                                    ByteSpan plaintext, ByteSpan aad) {
  if (plaintext.size() > kMaxPlaintextSize) {
    return absl::InvalidArgumentError(absl::StrCat("plaintext of ", plaintext.size(),
                                                   " bytes exceeds the hybrid encryption limit of ",
                                                   kMaxPlaintextSize));
  }
  if (aad.size() > INT_MAX) return absl::InvalidArgumentError("additional data is too long");
  const std::string kem_id = kem.name();
  if (kem_id.empty() || kem_id.size() > kMaxKemIdSize) {
    return absl::InternalError(absl::StrCat("KEM id must be 1..", kMaxKemIdSize, " bytes"));
  }
  KMS_ASSIGN_OR_RETURN(Encapsulation encapsulation, kem.Encapsulate(recipient_public_key));
  if (encapsulation.encapsulation.empty() ||
      encapsulation.encapsulation.size() > kMaxEncapsulationSize ||
      encapsulation.shared_secret.size() != kAesKeySize) {
    return absl::InternalError(absl::StrCat("KEM ", kem_id, " produced an out-of-range output"));
  }
  std::array<uint8_t, kHybridNonceSize> nonce;
  OsRandom(nonce);

  Bytes out;
  out.reserve(1 + 4 * 4 + kem_id.size() + encapsulation.encapsulation.size() + nonce.size() +
              plaintext.size() + kHybridTagSize);
  out.push_back(kHybridFormatVersion);
  AppendField(out, AsBytes(kem_id));
  AppendField(out, encapsulation.encapsulation);
  AppendField(out, nonce);
  const size_t header_size = out.size();
  AppendU32Le(out, static_cast<uint32_t>(plaintext.size() + kHybridTagSize));
  // The header is copied out because `out` grows (and may move) while sealing.
  const Bytes header(out.begin(), out.begin() + header_size);
  KMS_RETURN_IF_ERROR(AesGcmSeal(encapsulation.shared_secret, nonce, header, aad, plaintext, out));
  return out;
}

absl::StatusOr<Bytes> HybridDecrypt(const Kem& kem, const SecretBytes& private_key,
                                    ByteSpan ciphertext, ByteSpan aad) {
  if (ciphertext.empty()) return absl::InvalidArgumentError("hybrid ciphertext is empty");
  if (ciphertext[0] != kHybridFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat("hybrid ciphertext format version ",
                                                   ciphertext[0], " is not supported (expected ",
                                                   kHybridFormatVersion, ")"));
  }
  if (aad.size() > INT_MAX) return absl::InvalidArgumentError("additional data is too long");
  FieldReader reader(ciphertext.subspan(1));
  KMS_ASSIGN_OR_RETURN(ByteSpan kem_id, reader.Read("KEM id", 1, kMaxKemIdSize));
  const std::string expected_id = kem.name();
  if (std::string_view(reinterpret_cast<const char*>(kem_id.data()), kem_id.size()) !=
      expected_id) {
    // The id is not secret, but it is untrusted: report it as hex rather than echo raw bytes.
    return absl::InvalidArgumentError(absl::StrCat("hybrid ciphertext was made with KEM id 0x",
                                                   ToHex(kem_id), ", expected \"", expected_id,
                                                   "\""));
  }
  KMS_ASSIGN_OR_RETURN(ByteSpan encapsulation,
                       reader.Read("encapsulation", 1, kMaxEncapsulationSize));
  KMS_ASSIGN_OR_RETURN(ByteSpan nonce, reader.Read("nonce", kHybridNonceSize, kHybridNonceSize));
  const ByteSpan header = ciphertext.first(1 + reader.offset());
  KMS_ASSIGN_OR_RETURN(ByteSpan sealed, reader.Read("sealed data", kHybridTagSize,
                                                    kMaxPlaintextSize + kHybridTagSize));
  if (reader.remaining() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("hybrid ciphertext has ", reader.remaining(), " unexpected trailing bytes"));
  }
  KMS_ASSIGN_OR_RETURN(SecretBytes shared, kem.Decapsulate(private_key, encapsulation));
  if (shared.size() != kAesKeySize) {
    return absl::InternalError(
        absl::StrCat("KEM ", expected_id, " returned a ", shared.size(), "-byte secret"));
  }
  return AesGcmOpen(shared, nonce, header, aad, sealed);
}

}  // namespace kms::crypto
