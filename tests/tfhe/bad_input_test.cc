// Hostile input: every truncation of a small golden blob is an error, every accepted byte flip
// re-serializes to itself, huge length fields are refused without allocating, and the errors
// name the field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "testing/allocation_probe.h"
#include "tfhe/golden_files.h"

namespace kms::tfhe {
namespace {

using testing::GoldenType;
using ::testing::HasSubstr;
using testing::ReadGolden;
using testing::RoundTrip;

struct SmallBlob {
  const char* name;
  GoldenType type;
};

constexpr SmallBlob kSmallBlobs[] = {
    {"kms-test.FheBool.client_key.bin", GoldenType::kFheBool},
    {"kms-test.CompactPublicKey.bin", GoldenType::kCompactPublicKey},
    {"kms-test.CompressedCompactPublicKey.bin", GoldenType::kCompressedCompactPublicKey},
    {"kms-test.CompactCiphertextList.mixed.packed.bin", GoldenType::kCompactCiphertextList},
    {"kms-test.ClientKey.bin", GoldenType::kClientKey},
    {"kms-test.CompressedServerKey.bin", GoldenType::kCompressedServerKey},
    {"synthetic.ClientKey.kms-test-full.bin", GoldenType::kClientKey},
};

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveGoldenFiles()) GTEST_SKIP() << "no golden files";
  }
};

TEST_F(BadInput, EveryTruncationIsAnInvalidArgument) {
  for (const SmallBlob& blob : kSmallBlobs) {
    auto bytes = ReadGolden(blob.name);
    ASSERT_TRUE(bytes.has_value()) << blob.name;
    for (size_t len = 0; len < bytes->size(); ++len) {
      Bytes prefix(bytes->begin(), bytes->begin() + len);
      auto result = RoundTrip(blob.type, prefix);
      ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
          << blob.name << " truncated to " << len << " bytes was accepted";
    }
  }
}

// Every encoding this layer accepts is canonical: a mutated blob either fails or re-serializes
// to exactly the mutated bytes (nothing is normalized or dropped).
TEST_F(BadInput, EveryAcceptedByteFlipRoundTrips) {
  for (const SmallBlob& blob : kSmallBlobs) {
    auto bytes = ReadGolden(blob.name);
    ASSERT_TRUE(bytes.has_value());
    size_t accepted = 0;
    for (size_t pos = 0; pos < bytes->size(); ++pos) {
      for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
        Bytes mutated = *bytes;
        mutated[pos] ^= flip;
        auto result = RoundTrip(blob.type, mutated);
        if (!result.ok()) {
          ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
          continue;
        }
        ++accepted;
        ASSERT_TRUE(*result == mutated) << blob.name << " flip at " << pos;
      }
    }
    EXPECT_GT(accepted, 0u) << blob.name;  // the key and ciphertext words take any value
  }
}

// Writes v as a u64 little-endian at `offset`.
void PutU64(Bytes& b, size_t offset, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

// The CPK's data length sits after the 66-byte header and six version tags (interop-tfhe.md §1.6).
constexpr size_t kCpkDataLengthOffset = 0x5a;
// The FheUint's block count: 57-byte header, then FheUint, wrapper and BaseRadixCiphertext tags.
constexpr size_t kFheUintBlockCountOffset = 57 + 12;

TEST_F(BadInput, HugeLengthFieldsAreRefusedWithoutAllocation) {
  auto cpk = ReadGolden("kms-test.CompactPublicKey.bin");
  ASSERT_TRUE(cpk.has_value());
  ASSERT_EQ(cpk->size(), 8442u);
  // The last: one word more than the rest of the blob holds.
  const uint64_t one_too_many = (cpk->size() - kCpkDataLengthOffset - 8) / 8 + 1;
  for (uint64_t length : {uint64_t{1} << 40, uint64_t{1} << 61, ~uint64_t{0}, one_too_many}) {
    Bytes mutated = *cpk;
    PutU64(mutated, kCpkDataLengthOffset, length);
    g_largest_allocation = 0;
    g_probe_armed = true;
    auto parsed = ParseCompactPublicKey(mutated);
    g_probe_armed = false;
    ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("CompactPublicKey.key.key.key.key.glwe_ciphertext.data: length " +
                          std::to_string(length) + " exceeds remaining"));
    EXPECT_LT(g_largest_allocation.load(), mutated.size()) << length;
  }

  auto fheuint = ReadGolden("kms-test.FheUint64.client_key.bin");
  ASSERT_TRUE(fheuint.has_value());
  Bytes mutated = *fheuint;
  PutU64(mutated, kFheUintBlockCountOffset, uint64_t{1} << 50);
  g_largest_allocation = 0;
  g_probe_armed = true;
  auto parsed = ParseFheUint(mutated);
  g_probe_armed = false;
  EXPECT_THAT(std::string(parsed.status().message()),
              HasSubstr("FheUint.ciphertext.BaseRadixCiphertext.blocks: length 1125899906842624 "
                        "exceeds remaining"));
  EXPECT_LT(g_largest_allocation.load(), mutated.size());
}

TEST_F(BadInput, SizeLimitIsHeaderPlusPayload) {
  auto cpk = ReadGolden("kms-test.CompactPublicKey.bin");
  ASSERT_TRUE(cpk.has_value());
  EXPECT_TRUE(ParseCompactPublicKey(*cpk, cpk->size()).ok());
  auto refused = ParseCompactPublicKey(*cpk, cpk->size() - 1);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("size limit"));
}

TEST_F(BadInput, TrailingBytesAreRefused) {
  auto ct = ReadGolden("kms-test.FheBool.client_key.bin");
  ASSERT_TRUE(ct.has_value());
  Bytes longer = *ct;
  longer.resize(longer.size() + 16);
  EXPECT_EQ(ParseFheBool(longer).status().message(), "FheBool: 16 trailing bytes after the object");
}

TEST_F(BadInput, ErrorsNameTheField) {
  auto cpk = ReadGolden("kms-test.CompactPublicKey.bin");
  ASSERT_TRUE(cpk.has_value());
  // The 1.7 expansion-kind tag (1) in a 1.4 CPK; it sits 100 − 12 bytes after the parameters
  // start, which follow the data, the polynomial size and the modulus.
  const size_t params = kCpkDataLengthOffset + 8 + 8 * 1024 + 12 + 28;
  const size_t expansion_tag = params + 4 + 12 + 16 + 12 + 12 + 28;
  ASSERT_EQ((*cpk)[expansion_tag], 0);
  // Tag 1 is tfhe-rs 1.7's form (read, and re-serialized as is); tag 2 is unknown.
  Bytes v17 = *cpk;
  v17[expansion_tag] = 1;
  auto parsed17 = ParseCompactPublicKey(v17);
  ASSERT_TRUE(parsed17.ok()) << parsed17.status();
  EXPECT_EQ(parsed17->parameters.expansion_kind.version, 1u);
  auto again = SerializeCompactPublicKey(*parsed17);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == v17);
  Bytes v2 = *cpk;
  v2[expansion_tag] = 2;
  EXPECT_EQ(ParseCompactPublicKey(v2).status().message(),
            "CompactPublicKey.key.key.key.parameters.expansion_kind.version: unknown version "
            "tag 2, expected 0 (tfhe-rs 1.4) or 1 (1.7)");

  // scalar_bits 32 in the key's modulus.
  Bytes bits32 = *cpk;
  const size_t scalar_bits = kCpkDataLengthOffset + 8 + 8 * 1024 + 12 + 4 + 16;
  ASSERT_EQ(bits32[scalar_bits], 64);
  bits32[scalar_bits] = 32;
  EXPECT_THAT(std::string(ParseCompactPublicKey(bits32).status().message()),
              HasSubstr("glwe_ciphertext.ciphertext_modulus.scalar_bits: expected an unsigned "
                        "integer with 64 bits, got 32"));
}

TEST_F(BadInput, SerializeRefusesInconsistentObjects) {
  auto cpk = ParseCompactPublicKey(*ReadGolden("kms-test.CompactPublicKey.bin"));
  ASSERT_TRUE(cpk.ok());
  CompactPublicKey bad = *cpk;
  bad.key.glwe_ciphertext.data.pop_back();
  EXPECT_EQ(SerializeCompactPublicKey(bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = *cpk;
  bad.parameters.encryption_lwe_dimension = 1024;
  EXPECT_THAT(std::string(SerializeCompactPublicKey(bad).status().message()),
              HasSubstr("differs from parameters.encryption_lwe_dimension 1024"));

  auto ck = ParseClientKey(*ReadGolden("kms-test.ClientKey.bin"));
  ASSERT_TRUE(ck.ok());
  ClientKey bad_key = *ck;
  bad_key.lwe_secret_key.data.push_back(1);
  EXPECT_THAT(std::string(SerializeClientKey(bad_key).status().message()),
              HasSubstr("lwe_secret_key: LWE key of 2 bits, parameters say 1"));

  auto ct = ParseFheUint(*ReadGolden("kms-test.FheUint64.client_key.bin"));
  ASSERT_TRUE(ct.ok());
  FheUint bad_ct = *ct;
  bad_ct.blocks[3].degree = 16;
  EXPECT_THAT(std::string(SerializeFheUint(bad_ct).status().message()),
              HasSubstr("blocks[3].degree: degree 16 exceeds the plaintext space 16"));
  bad_ct = *ct;
  bad_ct.blocks[5].message_modulus = 8;
  EXPECT_THAT(std::string(SerializeFheUint(bad_ct).status().message()),
              HasSubstr("blocks[5]: every block must have the same shape"));
}

TEST_F(BadInput, ServerKeyShapesMustChain) {
  auto key = ParseCompressedServerKey(*ReadGolden("kms-test.CompressedServerKey.bin"));
  ASSERT_TRUE(key.ok()) << key.status();
  CompressedServerKey bad = *key;
  bad.key_switching_key.output_lwe_size += 1;
  EXPECT_THAT(std::string(SerializeCompressedServerKey(bad).status().message()),
              HasSubstr("key_switching_key: the KSK output dimension is 2"));
  bad = *key;
  ASSERT_TRUE(bad.cpk_key_switching_key_material.has_value());
  bad.cpk_key_switching_key_material->destination_key = EncryptionKeyChoice::kBig;
  EXPECT_THAT(std::string(SerializeCompressedServerKey(bad).status().message()),
              HasSubstr("cpk_key_switching_key_material: the destination dimension"));
}

}  // namespace
}  // namespace kms::tfhe
