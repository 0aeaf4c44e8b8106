#include "service/central_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/random.h"
#include "lwe/formats.h"
#include "storage/ram_storage.h"

namespace kms::service {
namespace {

using ::testing::HasSubstr;

storage::VaultSet RamVaults() {
  return storage::MakeVaultSet(std::make_unique<storage::RamStorage>("PUB"),
                               std::make_unique<storage::RamStorage>("PRIV"), nullptr);
}

Id32 Id(uint8_t v) {
  Id32 id{};
  id.fill(v);
  return id;
}

TEST(CentralEngineTest, KeyGenDecryptAndReload) {
  storage::VaultSet vaults = RamVaults();
  auto engine = CentralizedEngine::Load(vaults, lwe::TestParameters());
  ASSERT_TRUE(engine.ok());
  KeyGenSpec spec;
  spec.request_id = Id(1);
  spec.params = &lwe::TestParameters();
  auto key = (*engine)->GenerateKey(spec);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ((*engine)->CheckKeyGen(spec).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*engine)->KeyIds(), std::vector<std::string>{IdToHex(Id(1))});
  auto stored = vaults.public_vault->Get(storage::kPublicKey, IdToHex(Id(1)));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, key->public_key);

  auto pk = lwe::ParseCompactPublicKey(key->public_key);
  ASSERT_TRUE(pk.ok());
  crypto::AesCtrRng rng;
  auto value = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint64, 0x1122334455667788ull);
  auto ct = lwe::EncryptTyped(*pk, value, rng);
  ASSERT_TRUE(ct.ok());
  std::vector<lwe::TypedCiphertext> cts = {*ct};
  auto pts = (*engine)->PublicDecrypt(Id(9), Id(1), DefaultEpochId(), cts);
  ASSERT_TRUE(pts.ok()) << pts.status();
  EXPECT_EQ((*pts)[0], value);

  // User decryption: Δ·m per block, four blocks per ring element, zero padding.
  auto shares = (*engine)->UserDecrypt(Id(10), Id(1), DefaultEpochId(), cts);
  ASSERT_TRUE(shares.ok());
  const auto blocks = value.ToBlocks(lwe::TestParameters());
  ASSERT_EQ(shares->packed.size(), 1u);
  ASSERT_EQ(shares->packed[0].size(), (blocks.size() + 3) / 4);
  for (size_t j = 0; j < blocks.size(); ++j) {
    const algebra::Z128 c = shares->packed[0][j / 4][static_cast<int>(j % 4)];
    EXPECT_EQ(lwe::DecodeBlock(c, lwe::TestParameters()), blocks[j]);
    EXPECT_EQ(c, static_cast<algebra::Z128>(blocks[j]) << lwe::DeltaLog2(lwe::TestParameters()));
  }

  // A fresh engine over the same storage loads the key and decrypts the same.
  auto reloaded = CentralizedEngine::Load(vaults, lwe::TestParameters());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  // The key id stays taken after a restart (the key is stored: no ledger needed here).
  EXPECT_EQ((*reloaded)->CheckKeyGen(spec).code(), absl::StatusCode::kAlreadyExists);
  auto again = (*reloaded)->PublicDecrypt(Id(11), Id(1), DefaultEpochId(), cts);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0], value);

  EXPECT_EQ((*engine)->PublicDecrypt(Id(12), Id(2), DefaultEpochId(), cts).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ((*engine)->NewEpoch(DefaultEpochId(), false, Id(3)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CentralEngineTest, LoadRefusesTamperedPublicKey) {
  storage::VaultSet vaults = RamVaults();
  auto engine = CentralizedEngine::Load(vaults, lwe::TestParameters());
  KeyGenSpec spec;
  spec.request_id = Id(5);
  spec.params = &lwe::TestParameters();
  auto key = (*engine)->GenerateKey(spec);
  ASSERT_TRUE(key.ok());
  Bytes bad = key->public_key;
  bad[bad.size() - 1] ^= 1;
  ASSERT_TRUE(vaults.public_vault->Put(storage::kPublicKey, IdToHex(Id(5)), bad).ok());
  auto refused = CentralizedEngine::Load(vaults, lwe::TestParameters());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("Public key digest mismatch for id=" + IdToHex(Id(5))));
}

TEST(CentralEngineTest, PreprocessingIsTrivialAndListed) {
  storage::VaultSet vaults = RamVaults();
  auto engine = CentralizedEngine::Load(vaults, lwe::TestParameters());
  auto info = (*engine)->Preprocess(Id(7), &lwe::TestParameters(), DefaultEpochId());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->bits, 0u);
  EXPECT_EQ((*engine)->PreprocessingIds(), std::vector<std::string>{IdToHex(Id(7))});
  EXPECT_TRUE((*engine)->DropPreprocessing(Id(7)).ok());
  EXPECT_EQ((*engine)->DropPreprocessing(Id(7)).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kms::service
