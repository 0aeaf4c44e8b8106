// The tfhe-rs keyset in the service: the private record (tfhe_key_record.h), the published
// objects (tfhe_keyset_store.h) and the centralized engine's keyset generation, boot check,
// decryption of the four tfhe-rs request formats and refusal of phase-1 requests under it. The
// threshold engine's DKG is in threshold_engine_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "service/central_engine.h"
#include "service/key_material.h"
#include "service/tfhe_ciphertext.h"
#include "service/tfhe_key_record.h"
#include "service/tfhe_keyset_store.h"
#include "storage/ram_storage.h"
#include "testing/seeded_rng.h"
#include "testing/tfhe_share_decryption.h"
#include "tfhe/block_decoding.h"
#include "tfhe/compact_encryption.h"
#include "tfhe/keyset_fixture.h"

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

crypto::Digest DigestOf(uint8_t v) {
  crypto::Digest d{};
  d.fill(v);
  return d;
}

mpc::TfheKeyShare ShareOfTestSet() {
  const tfhe::KeysetParameters& p = tfhe::KmsTestKeyset().keyset;
  mpc::TfheKeyShare share;
  share.sns_params = *p.noise_squashing;
  share.sns_compression_params = p.noise_squashing_compression;
  share.sns_key.resize(share.sns_lwe_dimension());
  share.sns_compression_key.resize(share.sns_compression_lwe_dimension());
  uint64_t v = 1;
  for (auto* keys : {&share.sns_key, &share.sns_compression_key}) {
    for (mpc::Share& s : *keys) {
      for (int c = 0; c < 4; ++c) {
        s[c] = (static_cast<unsigned __int128>(v) << 64) | (v + 1);
        v += 2;
      }
    }
  }
  return share;
}

TEST(TfheKeyRecord, ShareRoundTripsAndEveryMalformedFieldIsRefused) {
  TfheKeyRecord record{
      &tfhe::KmsTestKeyset(), true, DigestOf(1), DigestOf(2), DigestOf(3), std::nullopt,
      ShareOfTestSet()};
  record.share->insecure_dealer = true;
  auto bytes = SerializeTfheKeyRecord(record);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const ByteSpan data(bytes->data(), bytes->size());
  ASSERT_TRUE(IsTfheKeyRecord(data));
  auto parsed = ParseTfheKeyRecord(data);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->params, &tfhe::KmsTestKeyset());
  EXPECT_TRUE(parsed->insecure);
  EXPECT_EQ(parsed->public_key_digest, DigestOf(1));
  EXPECT_EQ(parsed->server_key_digest, DigestOf(2));
  EXPECT_EQ(parsed->compressed_keyset_digest, DigestOf(3));
  ASSERT_TRUE(parsed->share.has_value());
  EXPECT_FALSE(parsed->client_key.has_value());
  EXPECT_TRUE(parsed->share->insecure_dealer);
  EXPECT_EQ(parsed->share->sns_key, record.share->sns_key);
  EXPECT_EQ(parsed->share->sns_compression_key, record.share->sns_compression_key);

  Bytes copy(data.begin(), data.end());
  auto refused = [&](const Bytes& b, const std::string& why) {
    auto r = ParseTfheKeyRecord(b);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << why;
    EXPECT_THAT(r.status().message(), HasSubstr(why));
  };
  Bytes b = copy;
  b[0] = 'X';
  refused(b, "bad magic");
  b = copy;
  b[8] = 7;
  refused(b, "unknown kind 7");
  b = copy;
  b[9] = 4;
  refused(b, "bad flags 4");
  b = copy;
  b[11] = 'X';  // "tfhe-test" -> "Xfhe-test"
  refused(b, "unknown parameter set \"Xfhe-test\"");
  for (size_t cut : {size_t{5}, size_t{40}, copy.size() / 2, copy.size() - 1}) {
    b.assign(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(cut));
    auto r = ParseTfheKeyRecord(b);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << "cut at " << cut;
  }
  b = copy;
  b.push_back(0);
  refused(b, "1 trailing bytes");
  // A share count other than the parameter set's is refused before anything is allocated.
  b = copy;
  const size_t count_at = 11 + tfhe::KmsTestKeyset().name.size() + 96;
  b[count_at + 7] = 0x7f;
  refused(b, "noise-squashing key:");
}

TEST(TfheKeyRecord, NeedsExactlyOneSecret) {
  TfheKeyRecord none{&tfhe::KmsTestKeyset(), false, {}, {}, {}, std::nullopt, std::nullopt};
  EXPECT_EQ(SerializeTfheKeyRecord(none).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParameterSetByName, KnowsBothFamilies) {
  EXPECT_EQ(ParameterSetByName("tfhe-test")->tfhe, &tfhe::KmsTestKeyset());
  EXPECT_EQ(ParameterSetByName("tfhe-default")->tfhe, &tfhe::KmsDefaultKeyset());
  EXPECT_EQ(ParameterSetByName("test")->lwe, &lwe::TestParameters());
  EXPECT_TRUE(ParameterSetByName("tfhe-test")->insecure());
  EXPECT_FALSE(ParameterSetByName("tfhe-default")->insecure());
  EXPECT_THAT(ParameterSetByName("tfhe").status().message(), HasSubstr("\"tfhe-test\""));
  // What a threshold KeyGen of each family consumes.
  EXPECT_EQ(KeyGenMaterial(&tfhe::KmsTestKeyset())->bits, 729'105u);
  EXPECT_EQ(KeyGenMaterial(&tfhe::KmsTestKeyset())->triples, 66'048u);
  EXPECT_EQ(KeyGenMaterial(&lwe::TestParameters())->triples, 0u);
}

// The centralized engine makes a tfhe-test keyset: the published PublicKey and ServerKey are
// tfhe-rs objects that load, two values encrypted under the CPK add up through every path with
// the stored ClientKey, the keyset survives a restart, a tampered ServerKey stops the boot, and
// a phase-1 decryption under the keyset is refused.
TEST(CentralEngineTfhe, KeysetIsPublishedWorksAndReloads) {
  storage::VaultSet vaults = RamVaults();
  auto engine = CentralizedEngine::Load(vaults, lwe::TestParameters());
  ASSERT_TRUE(engine.ok());
  KeyGenSpec spec;
  spec.request_id = Id(7);
  spec.params = &tfhe::KmsTestKeyset();
  auto info = (*engine)->GenerateKey(spec);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->insecure);  // the test set
  EXPECT_EQ(info->params.name(), "tfhe-test");
  const std::string id = IdToHex(Id(7));

  auto pk_bytes = vaults.public_vault->Get(storage::kPublicKey, id);
  ASSERT_TRUE(pk_bytes.ok());
  EXPECT_EQ(*pk_bytes, info->public_key);
  EXPECT_EQ(PublicKeyBytesDigest(*pk_bytes), info->digest);
  auto cpk = tfhe::ParseCompactPublicKey(*pk_bytes);
  ASSERT_TRUE(cpk.ok()) << cpk.status();
  Bytes sk_bytes;
  ASSERT_TRUE(vaults.public_vault
                  ->GetStream(storage::kServerKey, id,
                              [&](ByteSpan piece) {
                                sk_bytes.insert(sk_bytes.end(), piece.begin(), piece.end());
                                return absl::OkStatus();
                              })
                  .ok());
  EXPECT_EQ(PublicKeyBytesDigest(sk_bytes), info->server_key_digest);
  auto server_key = tfhe::ParsePublishedServerKey(sk_bytes);
  ASSERT_TRUE(server_key.ok()) << server_key.status();
  auto keys = tfhe::LoadPublishedServerKey(*server_key);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_FALSE(vaults.public_vault->Exists(storage::kCompressedXofKeySet, id).value());
  // PublicKeyMetadata: kms v0.12.8's 55-byte PublicKeyType::Compact (interop-tfhe-1.4.md §1.1).
  auto metadata = vaults.public_vault->Get(storage::kPublicKeyMetadata, id);
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  EXPECT_EQ(ToHex(*metadata),
            "0300000000000000302e35000000000300000000000000302e310d00000000000000"
            "5075626c69634b65795479706500000000"
            "00000000");

  auto raw = vaults.private_vault->Get(storage::kFhePrivateKey, id);
  ASSERT_TRUE(raw.ok());
  auto record = ParseTfheKeyRecord(*raw);
  ASSERT_TRUE(record.ok()) << record.status();
  ASSERT_TRUE(record->client_key.has_value());
  kms::testing::SeededRng rng(3);
  tfhe::CompactListBuilder builder;
  ASSERT_TRUE(builder.PushUint(200, 8).ok());
  ASSERT_TRUE(builder.PushUint(100, 8).ok());
  auto list = builder.Build(*cpk, rng);
  ASSERT_TRUE(list.ok()) << list.status();
  tfhe::testing::CheckSumPath(*record->client_key, *keys, *list, 8, (200 + 100) & 0xff);

  // The engine decrypts the sum and a boolean in each of the four request formats, publicly
  // and per user (Δ·m of each block, which the client decodes).
  tfhe::CompactListBuilder with_bool;
  with_bool.PushBool(true);
  auto bool_list = with_bool.Build(*cpk, rng);
  ASSERT_TRUE(bool_list.ok()) << bool_list.status();
  auto sums = kms::testing::SumInRequestFormats(*keys, *list);
  ASSERT_TRUE(sums.ok()) << sums.status();
  auto bools = kms::testing::BoolInRequestFormats(*keys, *bool_list, 0);
  ASSERT_TRUE(bools.ok()) << bools.status();
  const lwe::TypedPlaintext sum = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint8, 44);
  const lwe::TypedPlaintext yes = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEbool, 1);
  const tfhe::NoiseSquashingParameters& sns = *tfhe::KmsTestKeyset().keyset.noise_squashing;
  for (int f = 0; f < 4; ++f) {
    const std::string format(CiphertextFormatName(static_cast<CiphertextFormat>(f)));
    std::vector<TfheCiphertext> cts;
    for (const auto* in : {&*sums, &*bools}) {
      auto parsed = ParseTfheCiphertext(f, in->type, in->bytes[f]);
      ASSERT_TRUE(parsed.ok()) << format << ": " << parsed.status();
      cts.push_back(*parsed);
    }
    const std::vector<const TfheCiphertext*> view = {&cts[0], &cts[1]};
    EXPECT_TRUE((*engine)->CheckTfheCiphertexts(Id(7), view).ok()) << format;
    auto pts = (*engine)->PublicDecryptTfhe(Id(9), Id(7), DefaultEpochId(), cts);
    ASSERT_TRUE(pts.ok()) << format << ": " << pts.status();
    EXPECT_EQ(*pts, (std::vector<lwe::TypedPlaintext>{sum, yes})) << format;
    auto user = (*engine)->UserDecryptTfhe(Id(9), Id(7), DefaultEpochId(), cts);
    ASSERT_TRUE(user.ok()) << format << ": " << user.status();
    EXPECT_EQ(user->block_counts, (std::vector<uint32_t>{2, 1})) << format;
    for (size_t i = 0; i < cts.size(); ++i) {
      std::vector<tfhe::u128> values;
      for (uint32_t k = 0; k < user->block_counts[i]; ++k)
        values.push_back(user->packed[i][k / 4][static_cast<int>(k % 4)]);
      auto bits = tfhe::PackedBlockBits(static_cast<uint32_t>(lwe::FheTypeBits(cts[i].type)),
                                        cts[i].type == lwe::FheType::kEbool, sns.message_modulus);
      ASSERT_TRUE(bits.ok());
      auto le = tfhe::DecodePackedBlocks(values, *bits, sns.message_modulus, sns.carry_modulus);
      ASSERT_TRUE(le.ok()) << le.status();
      EXPECT_EQ(*lwe::TypedPlaintext::FromLeBytes(cts[i].type, *le), i == 0 ? sum : yes);
    }
  }
  // The type a request names must be the value's.
  auto as_u16 = ParseTfheCiphertext(3, lwe::FheType::kEuint16, sums->bytes[3]);
  ASSERT_TRUE(as_u16.ok());
  const TfheCiphertext* wrong = &*as_u16;
  auto refused = (*engine)->CheckTfheCiphertexts(Id(7), std::span(&wrong, 1));
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("ciphertexts[0].ciphertext: "));

  // Phase-1 decryption requests under the keyset are refused, with the reason.
  auto pts = (*engine)->PublicDecrypt(Id(9), Id(7), DefaultEpochId(), {});
  EXPECT_EQ(pts.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(pts.status().message(), HasSubstr("(tfhe-test) decrypts tfhe-rs ciphertexts only"));
  EXPECT_EQ((*engine)->UserDecrypt(Id(9), Id(7), DefaultEpochId(), {}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Restart: the keyset loads and answers the same public key.
  engine->reset();
  auto again = CentralizedEngine::Load(vaults, lwe::TestParameters());
  ASSERT_TRUE(again.ok()) << again.status();
  auto reloaded = (*again)->GetPublicKey(Id(7));
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->public_key, info->public_key);
  EXPECT_EQ(reloaded->server_key_digest, info->server_key_digest);
  EXPECT_EQ(reloaded->params.tfhe, &tfhe::KmsTestKeyset());

  // An altered PublicKeyMetadata is caught at boot.
  Bytes bad_metadata = *metadata;
  bad_metadata.back() = 1;
  ASSERT_TRUE(vaults.public_vault->Put(storage::kPublicKeyMetadata, id, bad_metadata).ok());
  again->reset();
  auto bad = CentralizedEngine::Load(vaults, lwe::TestParameters());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("PublicKeyMetadata for id=" + id + " is not the PublicKeyType::Compact"));
  ASSERT_TRUE(vaults.public_vault->Put(storage::kPublicKeyMetadata, id, *metadata).ok());

  // A server key changed in the public vault is caught at boot.
  sk_bytes[sk_bytes.size() / 2] ^= 1;
  ASSERT_TRUE(vaults.public_vault->Put(storage::kServerKey, id, sk_bytes).ok());
  auto tampered = CentralizedEngine::Load(vaults, lwe::TestParameters());
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(tampered.status().message(), HasSubstr("ServerKey digest mismatch for id=" + id));
  // A missing one too.
  ASSERT_TRUE(vaults.public_vault->Delete(storage::kServerKey, id).ok());
  auto missing = CentralizedEngine::Load(vaults, lwe::TestParameters());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("missing or unreadable public material ServerKey for id=" + id));
}

}  // namespace
}  // namespace kms::service
