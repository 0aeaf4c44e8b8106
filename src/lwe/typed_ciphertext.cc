#include "lwe/typed_ciphertext.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace kms::lwe {
namespace {

absl::Status CheckSameParameters(const SecretKey& key, const CompactCiphertextList& list) {
  if (list.params != &key.params() && list.params->name != key.params().name)
    return absl::InvalidArgumentError(absl::StrCat("ciphertext: parameter set '", list.params->name,
                                                   "' is not the key's ('", key.params().name,
                                                   "')"));
  if (list.mask.size() != static_cast<size_t>(key.dimension()))
    return absl::InvalidArgumentError(absl::StrCat("ciphertext.mask: dimension ", list.mask.size(),
                                                   " is not the key's ", key.dimension()));
  return absl::OkStatus();
}

absl::StatusOr<TypedPlaintext> DecryptBlocks(const SecretKey& key,
                                             const CompactCiphertextList& list, FheType type,
                                             size_t first, size_t count) {
  std::vector<uint64_t> blocks(count);
  for (size_t i = 0; i < count; ++i) blocks[i] = DecryptBlock(key, list, first + i);
  return TypedPlaintext::FromBlocks(type, blocks, key.params());
}

}  // namespace

size_t TypedCiphertextList::BlockOffset(size_t i) const {
  size_t offset = 0;
  for (size_t k = 0; k < i && k < types.size(); ++k)
    offset += static_cast<size_t>(BlockCount(types[k], *list.params));
  return offset;
}

absl::Status ValidateTypedCiphertext(const TypedCiphertext& ct) {
  KMS_RETURN_IF_ERROR(ValidateCompactCiphertextList(ct.list));
  if (!IsValidFheType(ct.type))
    return absl::InvalidArgumentError("typed_ciphertext.fhe_type: invalid type");
  const size_t expected = static_cast<size_t>(BlockCount(ct.type, *ct.list.params));
  if (ct.list.bodies.size() != expected)
    return absl::InvalidArgumentError(
        absl::StrCat("typed_ciphertext.block_count: ", FheTypeName(ct.type), " needs ", expected,
                     " blocks, the ciphertext has ", ct.list.bodies.size()));
  return absl::OkStatus();
}

absl::Status ValidateTypedCiphertextList(const TypedCiphertextList& ct) {
  KMS_RETURN_IF_ERROR(ValidateCompactCiphertextList(ct.list));
  if (ct.types.empty())
    return absl::InvalidArgumentError("typed_ciphertext_list.fhe_types: the list is empty");
  size_t total = 0;
  for (size_t i = 0; i < ct.types.size(); ++i) {
    if (!IsValidFheType(ct.types[i]))
      return absl::InvalidArgumentError(
          absl::StrCat("typed_ciphertext_list.fhe_types[", i, "]: invalid type"));
    total += static_cast<size_t>(BlockCount(ct.types[i], *ct.list.params));
  }
  if (ct.list.bodies.size() != total)
    return absl::InvalidArgumentError(
        absl::StrCat("typed_ciphertext_list.fhe_types: the types need ", total,
                     " blocks, the ciphertext has ", ct.list.bodies.size()));
  return absl::OkStatus();
}

absl::StatusOr<TypedCiphertext> EncryptTyped(const CompactPublicKey& key,
                                             const TypedPlaintext& plaintext,
                                             algebra::RandomSource& rng) {
  KMS_ASSIGN_OR_RETURN(TypedCiphertextList list,
                       EncryptTypedList(key, std::span<const TypedPlaintext>(&plaintext, 1), rng));
  TypedCiphertext ct;
  ct.type = plaintext.type;
  ct.list = std::move(list.list);
  return ct;
}

absl::StatusOr<TypedCiphertextList> EncryptTypedList(const CompactPublicKey& key,
                                                     std::span<const TypedPlaintext> plaintexts,
                                                     algebra::RandomSource& rng) {
  KMS_RETURN_IF_ERROR(ValidateCompactPublicKey(key, /*check_mask_seed=*/false));
  if (plaintexts.empty()) return absl::InvalidArgumentError("plaintexts: the list is empty");
  TypedCiphertextList out;
  std::vector<uint64_t> blocks;
  for (size_t i = 0; i < plaintexts.size(); ++i) {
    const TypedPlaintext& p = plaintexts[i];
    if (!IsValidFheType(p.type))
      return absl::InvalidArgumentError(absl::StrCat("plaintexts[", i, "]: invalid FHE type"));
    // Re-validate the width: the struct's fields are public and may have been set directly.
    KMS_ASSIGN_OR_RETURN(TypedPlaintext checked, TypedPlaintext::FromLeBytes(p.type, p.value_le));
    std::vector<uint64_t> b = checked.ToBlocks(*key.params);
    blocks.insert(blocks.end(), b.begin(), b.end());
    out.types.push_back(p.type);
  }
  if (blocks.size() > static_cast<size_t>(key.params->lwe_dimension))
    return absl::InvalidArgumentError(absl::StrCat("plaintexts: ", blocks.size(),
                                                   " blocks exceed the list capacity ",
                                                   key.params->lwe_dimension));
  KMS_ASSIGN_OR_RETURN(out.list, EncryptCompactList(key, blocks, rng));
  return out;
}

absl::StatusOr<TypedPlaintext> DecryptTyped(const SecretKey& key, const TypedCiphertext& ct) {
  KMS_RETURN_IF_ERROR(ValidateTypedCiphertext(ct));
  KMS_RETURN_IF_ERROR(CheckSameParameters(key, ct.list));
  return DecryptBlocks(key, ct.list, ct.type, 0, ct.list.bodies.size());
}

absl::StatusOr<std::vector<TypedPlaintext>> DecryptTypedList(const SecretKey& key,
                                                             const TypedCiphertextList& ct) {
  KMS_RETURN_IF_ERROR(ValidateTypedCiphertextList(ct));
  KMS_RETURN_IF_ERROR(CheckSameParameters(key, ct.list));
  std::vector<TypedPlaintext> out;
  size_t offset = 0;
  for (FheType type : ct.types) {
    const size_t count = static_cast<size_t>(BlockCount(type, key.params()));
    KMS_ASSIGN_OR_RETURN(TypedPlaintext p, DecryptBlocks(key, ct.list, type, offset, count));
    out.push_back(p);
    offset += count;
  }
  return out;
}

}  // namespace kms::lwe
