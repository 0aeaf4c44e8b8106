// service/tfhe_ciphertext.h: the four tfhe-rs formats of a decryption request. Each format's
// value parses and converts to the blocks that decrypt to it; malformed bytes, a list of two
// values, the wrong type, a ciphertext of another parameter set and a Small format without the
// ServerKey's squashing keys are refused with what is wrong.
#include "service/tfhe_ciphertext.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/seeded_rng.h"
#include "testing/tfhe_share_decryption.h"
#include "tfhe/compact_encryption.h"
#include "tfhe/keyset.h"
#include "tfhe/named_keysets.h"

namespace kms::service {
namespace {

using ::testing::HasSubstr;

// A tfhe-rs key share of `params`' shape with every share 1 (the checks only read shapes).
mpc::TfheKeyShare ShareShaped(const tfhe::KeysetParameters& params) {
  mpc::TfheKeyShare share;
  share.sns_params = *params.noise_squashing;
  share.sns_compression_params = params.noise_squashing_compression;
  share.sns_key.assign(share.sns_lwe_dimension(), mpc::Share::FromScalar(1));
  share.sns_compression_key.assign(share.sns_compression_lwe_dimension(),
                                   mpc::Share::FromScalar(1));
  return share;
}

class TfheCiphertextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kms::testing::SeededRng rng(21);
    auto keyset = tfhe::GenerateKeyset(tfhe::KmsTestKeyset().keyset, rng);
    ASSERT_TRUE(keyset.ok()) << keyset.status();
    auto keys = tfhe::LoadPublishedServerKey(keyset->server_key);
    ASSERT_TRUE(keys.ok()) << keys.status();
    auto whole = mpc::TfheWholeKey(keyset->client_key);
    ASSERT_TRUE(whole.ok()) << whole.status();
    tfhe::CompactListBuilder builder;
    ASSERT_TRUE(builder.PushUint(0x41, 8).ok());
    ASSERT_TRUE(builder.PushUint(0x02, 8).ok());
    builder.PushBool(false);
    auto list = builder.Build(keyset->public_key, rng);
    ASSERT_TRUE(list.ok()) << list.status();
    auto sum = kms::testing::SumInRequestFormats(*keys, *list);
    ASSERT_TRUE(sum.ok()) << sum.status();
    auto no = kms::testing::BoolInRequestFormats(*keys, *list, 2);
    ASSERT_TRUE(no.ok()) << no.status();
    keys_ = new tfhe::ComputeKeys(std::move(*keys));
    whole_ = new mpc::TfheKeyShare(std::move(*whole));
    sum_ = new kms::testing::RequestFormats(std::move(*sum));
    no_ = new kms::testing::RequestFormats(std::move(*no));
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete whole_;
    delete sum_;
    delete no_;
  }

  static const tfhe::KeysetParameters& params() { return tfhe::KmsTestKeyset().keyset; }

  static tfhe::ComputeKeys* keys_;
  static mpc::TfheKeyShare* whole_;
  static kms::testing::RequestFormats* sum_;
  static kms::testing::RequestFormats* no_;
};
tfhe::ComputeKeys* TfheCiphertextTest::keys_ = nullptr;
mpc::TfheKeyShare* TfheCiphertextTest::whole_ = nullptr;
kms::testing::RequestFormats* TfheCiphertextTest::sum_ = nullptr;
kms::testing::RequestFormats* TfheCiphertextTest::no_ = nullptr;

TEST_F(TfheCiphertextTest, EveryFormatDecryptsToItsValue) {
  const lwe::TypedPlaintext sum = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint8, 0x43);
  const lwe::TypedPlaintext no = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEbool, 0);
  for (int f = 0; f < 4; ++f) {
    const std::string format(CiphertextFormatName(static_cast<CiphertextFormat>(f)));
    std::vector<TfheCiphertext> cts;
    for (const auto* in : {sum_, no_}) {
      auto ct = ParseTfheCiphertext(f, in->type, in->bytes[f]);
      ASSERT_TRUE(ct.ok()) << format << ": " << ct.status();
      EXPECT_EQ(ct->content, crypto::HashElement(crypto::kDsepHandle, in->bytes[f]));
      EXPECT_EQ(ct->small(), f < 2);
      EXPECT_TRUE(CheckTfheCiphertext(*ct, *whole_, params()).ok()) << format;
      cts.push_back(std::move(*ct));
    }
    EXPECT_EQ(NeedsComputeKeys(cts), f < 2);
    auto inputs = TfheDecryptionInputs(cts, *whole_, keys_);
    ASSERT_TRUE(inputs.ok()) << format << ": " << inputs.status();
    ASSERT_EQ(inputs->size(), 2u);
    EXPECT_EQ((*inputs)[0].blocks.size(), TfheLweBlockCount(lwe::FheType::kEuint8, 4));
    EXPECT_EQ((*inputs)[1].blocks.size(), TfheLweBlockCount(lwe::FheType::kEbool, 4));
    auto pts = mpc::TfheCentralDecrypt(*whole_, *inputs);
    ASSERT_TRUE(pts.ok()) << format << ": " << pts.status();
    EXPECT_EQ(*pts, (std::vector<lwe::TypedPlaintext>{sum, no})) << format;
    if (f < 2) {
      // Without the ServerKey's keys the Small formats cannot be squashed.
      auto missing = TfheDecryptionInputs(cts, *whole_, nullptr);
      EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition) << format;
      EXPECT_THAT(missing.status().message(), HasSubstr("ciphertexts[0]: the keyset's ServerKey"));
    }
  }
}

TEST_F(TfheCiphertextTest, BlockCountsPerType) {
  EXPECT_EQ(TfheLweBlockCount(lwe::FheType::kEbool, 4), 1u);
  EXPECT_EQ(TfheLweBlockCount(lwe::FheType::kEuint4, 4), 1u);
  EXPECT_EQ(TfheLweBlockCount(lwe::FheType::kEuint8, 4), 2u);
  EXPECT_EQ(TfheLweBlockCount(lwe::FheType::kEuint64, 4), 16u);
  EXPECT_EQ(TfheLweBlockCount(lwe::FheType::kEuint160, 4), 40u);
  EXPECT_EQ(TfheLweBlockCount(lwe::FheType::kEuint256, 4), 64u);
}

TEST_F(TfheCiphertextTest, MalformedBytesNameTheFormat) {
  const char* names[4] = {"not a tfhe-rs CompressedCiphertextList (SmallCompressed)",
                          "not a tfhe-rs FheUint (SmallExpanded)",
                          "not a tfhe-rs CompressedSquashedNoiseCiphertextList (BigCompressed)",
                          "not a tfhe-rs SquashedNoiseFheUint (BigExpanded)"};
  for (int f = 0; f < 4; ++f) {
    const Bytes& good = sum_->bytes[f];
    for (size_t cut : {size_t{0}, size_t{3}, good.size() / 2, good.size() - 1}) {
      auto r = ParseTfheCiphertext(f, lwe::FheType::kEuint8, ByteSpan(good.data(), cut));
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << f << " cut " << cut;
      EXPECT_THAT(r.status().message(), HasSubstr(names[f])) << cut;
    }
    Bytes longer = good;
    longer.push_back(0);
    EXPECT_EQ(ParseTfheCiphertext(f, lwe::FheType::kEuint8, longer).status().code(),
              absl::StatusCode::kInvalidArgument);
    // Another format's bytes.
    auto other = ParseTfheCiphertext(f, lwe::FheType::kEuint8, sum_->bytes[(f + 1) % 4]);
    EXPECT_THAT(other.status().message(), HasSubstr(names[f]));
  }
  for (int bad : {-1, 4, 1000}) {
    auto r = ParseTfheCiphertext(bad, lwe::FheType::kEuint8, sum_->bytes[2]);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(),
                HasSubstr(std::to_string(bad) + " is not one of 0 (SmallCompressed)"));
  }
}

TEST_F(TfheCiphertextTest, TheTypeMustBeTheValues) {
  // The compressed lists say what they hold.
  for (int f : {0, 2}) {
    auto r = ParseTfheCiphertext(f, lwe::FheType::kEbool, sum_->bytes[f]);
    EXPECT_THAT(r.status().message(), HasSubstr("the list's value is not a ebool")) << f;
    r = ParseTfheCiphertext(f, lwe::FheType::kEuint8, no_->bytes[f]);
    EXPECT_THAT(r.status().message(), HasSubstr("the list's value is not a euint8")) << f;
  }
  // The expanded ones are checked by their block count.
  for (int f = 0; f < 4; ++f) {
    auto wide = ParseTfheCiphertext(f, lwe::FheType::kEuint16, sum_->bytes[f]);
    if (!wide.ok()) continue;  // the parse may already tell
    absl::Status s = CheckTfheCiphertext(*wide, *whole_, params());
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << f;
  }
  // An FheBool is not an FheUint and the other way round.
  EXPECT_EQ(ParseTfheCiphertext(1, lwe::FheType::kEuint8, no_->bytes[1]).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTfheCiphertext(3, lwe::FheType::kEbool, sum_->bytes[3]).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TfheCiphertextTest, AListOfTwoValuesIsRefused) {
  auto a = tfhe::ParseCompressedSquashedNoiseCiphertextList(sum_->bytes[2]);
  ASSERT_TRUE(a.ok());
  // The euint8's two packed blocks relabelled as two euint4 values.
  tfhe::CompressedSquashedNoiseCiphertextList two = *a;
  two.info = {{tfhe::DataKind::Kind::kUnsigned, 2}, {tfhe::DataKind::Kind::kUnsigned, 2}};
  auto bytes = tfhe::SerializeCompressedSquashedNoiseCiphertextList(two);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto r = ParseTfheCiphertext(2, lwe::FheType::kEuint8, *bytes);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("the list holds 2 values; exactly one"));
}

TEST_F(TfheCiphertextTest, ACiphertextOfAnotherParameterSetIsRefused) {
  const tfhe::KeysetParameters& other = tfhe::KmsDefaultKeyset().keyset;
  const mpc::TfheKeyShare other_share = ShareShaped(other);
  for (int f = 0; f < 4; ++f) {
    for (const auto* in : {sum_, no_}) {
      auto ct = ParseTfheCiphertext(f, in->type, in->bytes[f]);
      ASSERT_TRUE(ct.ok());
      absl::Status s = CheckTfheCiphertext(*ct, other_share, other);
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
          << CiphertextFormatName(static_cast<CiphertextFormat>(f)) << " " << s;
    }
  }
  // Through the list check, with the index of the ciphertext.
  auto good = ParseTfheCiphertext(2, lwe::FheType::kEuint8, sum_->bytes[2]);
  ASSERT_TRUE(good.ok());
  const std::vector<const TfheCiphertext*> view = {&*good, &*good};
  EXPECT_TRUE(CheckTfheCiphertexts(view, *whole_, params()).ok());
  EXPECT_THAT(CheckTfheCiphertexts(view, other_share, other).message(),
              HasSubstr("ciphertexts[0].ciphertext: "));
}

}  // namespace
}  // namespace kms::service
