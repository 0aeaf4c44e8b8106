#include "service/key_material.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"

namespace kms::service {
namespace {

absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr char kMismatch[] =
    "Verification key/address in public storage does not match the private signing key";

}  // namespace

std::string SignerId(const crypto::VerificationKey& key) { return ToHex(key.EthereumAddress()); }

absl::StatusOr<std::optional<crypto::SigningKey>> LoadSigningKey(storage::Storage& private_vault) {
  KMS_ASSIGN_OR_RETURN(std::vector<std::string> ids, private_vault.List(storage::kSigningKey));
  if (ids.empty()) return std::optional<crypto::SigningKey>();
  if (ids.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("more than one signing key in ", private_vault.Describe(), " (", ids.size(),
                     " under SigningKey/); a party has exactly one: remove the stale ones"));
  }
  KMS_ASSIGN_OR_RETURN(Bytes raw, private_vault.Get(storage::kSigningKey, ids[0]));
  crypto::SecretBytes secret(raw);
  crypto::SecureZero(raw);
  absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::FromBytes(secret.span());
  if (!key.ok()) {
    return absl::DataLossError(
        absl::StrCat("SigningKey/", ids[0], " in ", private_vault.Describe(),
                     " is not a valid secp256k1 key: ", key.status().message()));
  }
  if (SignerId(key->verification_key()) != ids[0]) {
    return absl::DataLossError(
        absl::StrCat("SigningKey/", ids[0], " in ", private_vault.Describe(),
                     " is stored under another key's address (it belongs to ",
                     SignerId(key->verification_key()), ")"));
  }
  return std::optional<crypto::SigningKey>(std::move(*key));
}

absl::Status StoreSigningKey(storage::VaultSet& vaults, const crypto::SigningKey& key) {
  const std::string id = SignerId(key.verification_key());
  const auto vk = key.verification_key().SerializeCompressed();
  const std::string address = key.verification_key().EthereumAddressChecksummed();
  // Public first: a crash in between leaves published material without a key, which kms-gen-keys
  // overwrites on the next run, never a key whose published half is missing.
  KMS_RETURN_IF_ERROR(vaults.public_vault->Put(storage::kVerfKey, id, vk));
  KMS_RETURN_IF_ERROR(vaults.public_vault->Put(storage::kVerfAddress, id, AsBytes(address)));
  crypto::SecretBytes secret = key.Serialize();
  return vaults.private_vault->Put(storage::kSigningKey, id, secret.span());
}

absl::Status VerifyPublishedVerificationKey(storage::Storage& public_vault,
                                            const crypto::SigningKey& key) {
  const std::string id = SignerId(key.verification_key());
  absl::StatusOr<Bytes> vk = public_vault.Get(storage::kVerfKey, id);
  if (!vk.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        kMismatch, ": VerfKey/", id, " in ", public_vault.Describe(), ": ", vk.status().message()));
  }
  const auto expected_vk = key.verification_key().SerializeCompressed();
  if (!std::equal(vk->begin(), vk->end(), expected_vk.begin(), expected_vk.end())) {
    return absl::FailedPreconditionError(
        absl::StrCat(kMismatch, ": VerfKey/", id, " holds another key"));
  }
  absl::StatusOr<Bytes> address = public_vault.Get(storage::kVerfAddress, id);
  if (!address.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(kMismatch, ": VerfAddress/", id, " in ",
                                                      public_vault.Describe(), ": ",
                                                      address.status().message()));
  }
  const std::string text(address->begin(), address->end());
  absl::StatusOr<crypto::EthAddress> parsed = crypto::ParseEthAddress(text);
  if (!parsed.ok() || *parsed != key.verification_key().EthereumAddress()) {
    return absl::FailedPreconditionError(
        absl::StrCat(kMismatch, ": VerfAddress/", id, " holds another address"));
  }
  return absl::OkStatus();
}

crypto::Digest PublicKeyBytesDigest(ByteSpan public_key_bytes) {
  return crypto::HashElement(crypto::kDsepPublicKeyData, public_key_bytes);
}

absl::StatusOr<Bytes> ReadVerifiedPublicKey(storage::Storage& public_vault, std::string_view key_id,
                                            const crypto::Digest& expected) {
  absl::StatusOr<Bytes> bytes = public_vault.Get(storage::kPublicKey, key_id);
  if (!bytes.ok()) {
    return absl::NotFoundError(
        absl::StrCat("missing or unreadable public material PublicKey for id=", Av(key_id), ": ",
                     bytes.status().message()));
  }
  if (PublicKeyBytesDigest(*bytes) != expected) {
    return absl::DataLossError(absl::StrCat("Public key digest mismatch for id=", Av(key_id), " (",
                                            public_vault.Describe(), "/PublicKey/", Av(key_id),
                                            " differs from the digest recorded with the key)"));
  }
  return std::move(*bytes);
}

}  // namespace kms::service
