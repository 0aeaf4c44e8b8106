// File: lwe/typed_ciphertext.h
//
// Encryption of typed values under the compact public key: a TypedCiphertext is one value
// (BlockCount(type) blocks in one compact list); a TypedCiphertextList packs several values,
// their blocks concatenated in order, into one list so they share one mask (one CPK use).
// Decryption with the secret key is for the centralized mode and tests; the threshold mode
// expands the blocks (encryption.h ExpandBlock) and decrypts them jointly.
//
// Example:
//   KMS_ASSIGN_OR_RETURN(TypedCiphertext ct, EncryptTyped(pk, plaintext, rng));
//   KMS_ASSIGN_OR_RETURN(TypedPlaintext back, DecryptTyped(sk, ct));
#ifndef KMS_LWE_TYPED_CIPHERTEXT_H_
#define KMS_LWE_TYPED_CIPHERTEXT_H_

#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "lwe/compact_public_key.h"
#include "lwe/encryption.h"
#include "lwe/fhe_type.h"
#include "lwe/secret_key.h"
#include "lwe/typed_plaintext.h"

namespace kms::lwe {

struct TypedCiphertext {
  FheType type = FheType::kEbool;
  CompactCiphertextList list;  // exactly BlockCount(type, *list.params) bodies
};

struct TypedCiphertextList {
  std::vector<FheType> types;  // value i occupies blocks [BlockOffset(i), BlockOffset(i + 1))
  CompactCiphertextList list;  // Σ BlockCount(types[i]) bodies

  // Index of the first block of value i; BlockOffset(types.size()) is the total.
  // REQUIRES: list.params set, i <= types.size().
  size_t BlockOffset(size_t i) const;
};

// Valid list, valid type, and block count matching the type. InvalidArgument naming the field.
[[nodiscard]] absl::Status ValidateTypedCiphertext(const TypedCiphertext& ct);
[[nodiscard]] absl::Status ValidateTypedCiphertextList(const TypedCiphertextList& ct);

// Encrypts one value. InvalidArgument for an invalid key or plaintext.
absl::StatusOr<TypedCiphertext> EncryptTyped(const CompactPublicKey& key,
                                             const TypedPlaintext& plaintext,
                                             algebra::RandomSource& rng);
// Encrypts 1..k values in one compact list. InvalidArgument if the list is empty or the total
// block count exceeds n̂.
absl::StatusOr<TypedCiphertextList> EncryptTypedList(const CompactPublicKey& key,
                                                     std::span<const TypedPlaintext> plaintexts,
                                                     algebra::RandomSource& rng);

// Decrypts with the secret key. InvalidArgument if the ciphertext is malformed, its parameter
// set is not the key's, or the decoded value exceeds the type's width (wrong key, corruption).
absl::StatusOr<TypedPlaintext> DecryptTyped(const SecretKey& key, const TypedCiphertext& ct);
absl::StatusOr<std::vector<TypedPlaintext>> DecryptTypedList(const SecretKey& key,
                                                             const TypedCiphertextList& ct);

}  // namespace kms::lwe

#endif  // KMS_LWE_TYPED_CIPHERTEXT_H_
