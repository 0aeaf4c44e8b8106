#include "crypto/secp256k1_signer.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/keccak.h"
#include "crypto/random.h"

namespace kms::crypto {
namespace {

// Failures that cannot happen with the inputs this file passes (a valid secret key, buffers of
// the documented sizes). Continuing would return a wrong key or signature, so stop loudly.
[[noreturn]] void Fatal(const char* what) {
  std::fprintf(stderr, "fatal: secp256k1: %s\n", what);
  std::abort();
}

// One context per process. Creating it precomputes tables (~tens of microseconds) and
// randomizing it draws fresh blinding for every secret-key operation, so it is done once, on
// first use; C++ guarantees the initialisation of a function-local static runs exactly once even
// when several threads arrive together. libsecp256k1 allows concurrent use of a context by every
// function used here (they take it as const). The context is never destroyed: threads may still
// sign while static destructors run at exit.
const secp256k1_context* Context() {
  static const secp256k1_context* const context = [] {
    secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (ctx == nullptr) Fatal("cannot create a context");
    std::array<uint8_t, 32> seed;
    OsRandom(seed);
    const int randomized = secp256k1_context_randomize(ctx, seed.data());
    SecureZero(seed.data(), seed.size());
    if (randomized != 1) Fatal("cannot randomize the context");
    return ctx;
  }();
  return context;
}

bool IsZero(const uint8_t* p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc |= p[i];
  return acc == 0;
}

std::array<uint8_t, VerificationKey::kUncompressedSize> SerializeUncompressedPoint(
    const secp256k1_pubkey& pubkey) {
  std::array<uint8_t, VerificationKey::kUncompressedSize> out;
  size_t length = out.size();
  if (secp256k1_ec_pubkey_serialize(Context(), out.data(), &length, &pubkey,
                                    SECP256K1_EC_UNCOMPRESSED) != 1 ||
      length != out.size()) {
    Fatal("cannot serialize a public key");
  }
  return out;
}

// v byte of a signature: 27 + recovery id (see the header for the choice).
constexpr uint8_t kVOffset = 27;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Addresses

std::string ChecksumAddress(const EthAddress& address) {
  std::string hex = ToHex(address);  // lower case, 40 digits
  const Digest hash = Keccak256(AsBytes(hex));
  for (size_t i = 0; i < hex.size(); ++i) {
    const uint8_t nibble = (i % 2 == 0) ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f;
    if (hex[i] >= 'a' && hex[i] <= 'f' && nibble >= 8) hex[i] = static_cast<char>(hex[i] - 32);
  }
  return "0x" + hex;
}

absl::StatusOr<EthAddress> ParseEthAddress(std::string_view text) {
  std::string_view digits = text;
  if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
  }
  if (digits.size() != 2 * sizeof(EthAddress)) {
    return absl::InvalidArgumentError(
        absl::StrCat("address must be 40 hex digits, got ", digits.size(), " characters"));
  }
  absl::StatusOr<Bytes> bytes = FromHex(digits);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("address is not hex: ", bytes.status().message()));
  }
  EthAddress address;
  std::memcpy(address.data(), bytes->data(), address.size());

  bool has_lower = false, has_upper = false;
  for (char c : digits) {
    has_lower |= (c >= 'a' && c <= 'f');
    has_upper |= (c >= 'A' && c <= 'F');
  }
  if (has_lower && has_upper && std::string_view(ChecksumAddress(address)).substr(2) != digits) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address 0x", std::string(digits),
        " is mixed-case but fails its EIP-55 checksum (expected ", ChecksumAddress(address), ")"));
  }
  return address;
}

// ---------------------------------------------------------------------------------------------
// VerificationKey

absl::StatusOr<VerificationKey> VerificationKey::Parse(ByteSpan encoded) {
  if (encoded.size() == kCompressedSize) {
    if (encoded[0] != SECP256K1_TAG_PUBKEY_EVEN && encoded[0] != SECP256K1_TAG_PUBKEY_ODD) {
      return absl::InvalidArgumentError(
          absl::StrCat("compressed verification key must start with 0x02 or 0x03, got 0x",
                       ToHex(encoded.first(1))));
    }
  } else if (encoded.size() == kUncompressedSize) {
    // libsecp256k1 would also accept the "hybrid" prefixes 0x06/0x07; one encoding per key.
    if (encoded[0] != SECP256K1_TAG_PUBKEY_UNCOMPRESSED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "uncompressed verification key must start with 0x04, got 0x", ToHex(encoded.first(1))));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("verification key must be 33 (compressed) or 65 (uncompressed) bytes, got ",
                     encoded.size()));
  }
  secp256k1_pubkey pubkey;
  if (secp256k1_ec_pubkey_parse(Context(), &pubkey, encoded.data(), encoded.size()) != 1) {
    return absl::InvalidArgumentError("verification key is not a point on secp256k1");
  }
  return VerificationKey(SerializeUncompressedPoint(pubkey));
}

absl::StatusOr<VerificationKey> VerificationKey::RecoverFromSignature(
    const Digest& digest, const Signature65& signature) {
  const uint8_t v = signature[64];
  if (v < kVOffset || v > kVOffset + 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature v must be 27..30 (27 + recovery id), got ", v));
  }
  if (IsZero(signature.data(), 32)) return absl::InvalidArgumentError("signature r is zero");
  if (IsZero(signature.data() + 32, 32)) return absl::InvalidArgumentError("signature s is zero");

  const secp256k1_context* ctx = Context();
  secp256k1_ecdsa_recoverable_signature recoverable;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &recoverable, signature.data(),
                                                          v - kVOffset) != 1) {
    return absl::InvalidArgumentError("signature r or s is not below the secp256k1 group order");
  }
  secp256k1_ecdsa_signature plain;
  secp256k1_ecdsa_recoverable_signature_convert(ctx, &plain, &recoverable);
  // normalize returns 1 when its input was not already low-S.
  if (secp256k1_ecdsa_signature_normalize(ctx, nullptr, &plain) == 1) {
    return absl::InvalidArgumentError(
        "signature s is in the upper half of the group order (high-S signatures are rejected)");
  }
  secp256k1_pubkey pubkey;
  if (secp256k1_ecdsa_recover(ctx, &pubkey, &recoverable, digest.data()) != 1) {
    return absl::InvalidArgumentError("no key verifies the signature over this digest");
  }
  return VerificationKey(SerializeUncompressedPoint(pubkey));
}

std::array<uint8_t, VerificationKey::kCompressedSize> VerificationKey::SerializeCompressed() const {
  std::array<uint8_t, kCompressedSize> out;
  std::memcpy(out.data() + 1, uncompressed_.data() + 1, 32);
  out[0] = (uncompressed_[64] & 1) ? SECP256K1_TAG_PUBKEY_ODD : SECP256K1_TAG_PUBKEY_EVEN;
  return out;
}

EthAddress VerificationKey::EthereumAddress() const {
  const Digest hash = Keccak256(ByteSpan(uncompressed_).subspan(1));
  EthAddress address;
  std::memcpy(address.data(), hash.data() + hash.size() - address.size(), address.size());
  return address;
}

std::string VerificationKey::EthereumAddressChecksummed() const {
  return ChecksumAddress(EthereumAddress());
}

bool VerificationKey::VerifyDigest(const Digest& digest, const Signature65& signature) const {
  // Recovery succeeds only for a valid signature (it solves the verification equation for the
  // key), and it ties v to the key: a valid (r, s) with the wrong v recovers a different key.
  absl::StatusOr<VerificationKey> recovered = RecoverFromSignature(digest, signature);
  return recovered.ok() && *recovered == *this;
}

// ---------------------------------------------------------------------------------------------
// SigningKey

SigningKey SigningKey::Generate() {
  const secp256k1_context* ctx = Context();
  SecretBytes secret(kSize);
  do {
    OsRandom(secret.span());
  } while (secp256k1_ec_seckey_verify(ctx, secret.data()) != 1);
  absl::StatusOr<SigningKey> key = FromBytes(secret.span());
  if (!key.ok()) Fatal("a verified secret key was rejected");
  return std::move(key).value();
}

absl::StatusOr<SigningKey> SigningKey::FromBytes(ByteSpan secret) {
  if (secret.size() != kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing key must be ", kSize, " bytes, got ", secret.size()));
  }
  const secp256k1_context* ctx = Context();
  if (secp256k1_ec_seckey_verify(ctx, secret.data()) != 1) {
    return absl::InvalidArgumentError("signing key is zero or not below the secp256k1 group order");
  }
  secp256k1_pubkey pubkey;
  if (secp256k1_ec_pubkey_create(ctx, &pubkey, secret.data()) != 1) {
    Fatal("cannot derive the public key of a verified secret key");
  }
  return SigningKey(SecretBytes(secret), VerificationKey(SerializeUncompressedPoint(pubkey)));
}

Signature65 SigningKey::SignDigest(const Digest& digest) const {
  const secp256k1_context* ctx = Context();
  secp256k1_ecdsa_recoverable_signature recoverable;
  // Null nonce function and data: libsecp256k1's default, RFC 6979 with HMAC-SHA256. The result
  // is always low-S.
  if (secret_.size() != kSize ||
      secp256k1_ecdsa_sign_recoverable(ctx, &recoverable, digest.data(), secret_.data(), nullptr,
                                       nullptr) != 1) {
    Fatal("signing failed (moved-from or corrupted key)");
  }
  Signature65 signature;
  int recovery_id = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, signature.data(), &recovery_id,
                                                          &recoverable);
  signature[64] = static_cast<uint8_t>(kVOffset + recovery_id);
  return signature;
}

}  // namespace kms::crypto
