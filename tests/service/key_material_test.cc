#include "service/key_material.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/ram_storage.h"

namespace kms::service {
namespace {

using ::testing::HasSubstr;

storage::VaultSet RamVaults() {
  return storage::MakeVaultSet(std::make_unique<storage::RamStorage>("PUB"),
                               std::make_unique<storage::RamStorage>("PRIV"), nullptr);
}

TEST(KeyMaterialTest, SigningKeyRoundTripAndPublishedHalves) {
  storage::VaultSet vaults = RamVaults();
  auto none = LoadSigningKey(*vaults.private_vault);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  const crypto::SigningKey key = crypto::SigningKey::Generate();
  ASSERT_TRUE(StoreSigningKey(vaults, key).ok());
  const std::string id = SignerId(key.verification_key());
  EXPECT_EQ(id.size(), 40u);
  EXPECT_EQ("0x" + id, [&] {
    std::string a = key.verification_key().EthereumAddressChecksummed();
    for (char& c : a) c = static_cast<char>(std::tolower(c));
    return a;
  }());
  auto loaded = LoadSigningKey(*vaults.private_vault);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->verification_key(), key.verification_key());
  EXPECT_TRUE(VerifyPublishedVerificationKey(*vaults.public_vault, key).ok());
  auto vk = vaults.public_vault->Get(storage::kVerfKey, id);
  ASSERT_TRUE(vk.ok());
  EXPECT_EQ(vk->size(), 33u);
}

TEST(KeyMaterialTest, MismatchesAreReportedWithTheReferenceMessage) {
  storage::VaultSet vaults = RamVaults();
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  ASSERT_TRUE(StoreSigningKey(vaults, key).ok());
  const std::string id = SignerId(key.verification_key());
  const crypto::SigningKey other = crypto::SigningKey::Generate();
  ASSERT_TRUE(vaults.public_vault
                  ->Put(storage::kVerfAddress, id,
                        AsBytes(other.verification_key().EthereumAddressChecksummed()))
                  .ok());
  absl::Status s = VerifyPublishedVerificationKey(*vaults.public_vault, key);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("Verification key/address in public storage does not match "
                                     "the private signing key"));
  ASSERT_TRUE(vaults.public_vault->Delete(storage::kVerfKey, id).ok());
  EXPECT_THAT(VerifyPublishedVerificationKey(*vaults.public_vault, key).message(),
              HasSubstr("VerfKey/" + id));
}

TEST(KeyMaterialTest, BadStoredSigningKeys) {
  storage::VaultSet vaults = RamVaults();
  ASSERT_TRUE(StoreSigningKey(vaults, crypto::SigningKey::Generate()).ok());
  ASSERT_TRUE(StoreSigningKey(vaults, crypto::SigningKey::Generate()).ok());
  EXPECT_EQ(LoadSigningKey(*vaults.private_vault).status().code(),
            absl::StatusCode::kFailedPrecondition);

  storage::VaultSet one = RamVaults();
  ASSERT_TRUE(one.private_vault->Put(storage::kSigningKey, "ab", Bytes(31, 1)).ok());
  auto short_key = LoadSigningKey(*one.private_vault);
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kDataLoss);

  // A valid key under another address's id.
  storage::VaultSet misplaced = RamVaults();
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  crypto::SecretBytes secret = key.Serialize();
  ASSERT_TRUE(
      misplaced.private_vault->Put(storage::kSigningKey, std::string(40, 'a'), secret.span()).ok());
  auto wrong = LoadSigningKey(*misplaced.private_vault);
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(wrong.status().message(), HasSubstr("another key's address"));
  EXPECT_THAT(wrong.status().message(), ::testing::Not(HasSubstr(ToHex(secret.span()))));
}

TEST(KeyMaterialTest, PublicKeyDigestCheck) {
  storage::VaultSet vaults = RamVaults();
  const Bytes pk = {1, 2, 3, 4};
  const crypto::Digest digest = PublicKeyBytesDigest(pk);
  auto missing = ReadVerifiedPublicKey(*vaults.public_vault, "k1", digest);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(),
              HasSubstr("missing or unreadable public material PublicKey for id=k1"));
  ASSERT_TRUE(vaults.public_vault->Put(storage::kPublicKey, "k1", pk).ok());
  auto ok = ReadVerifiedPublicKey(*vaults.public_vault, "k1", digest);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, pk);
  ASSERT_TRUE(vaults.public_vault->Put(storage::kPublicKey, "k1", Bytes{1, 2, 3, 5}).ok());
  auto bad = ReadVerifiedPublicKey(*vaults.public_vault, "k1", digest);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(bad.status().message(), HasSubstr("Public key digest mismatch for id=k1"));
  EXPECT_EQ(digest, crypto::HashElement(crypto::kDsepPublicKeyData, pk));
}

}  // namespace
}  // namespace kms::service
