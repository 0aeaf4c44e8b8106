// File: tests/tfhe/decompression_fixture.h
//
// Shared by the decompression tests: the golden node-tfhe ClientKey and server key of a profile
// with our own compression secret, compression key and decompression key added; a list of
// [FheUint8, FheUint64, FheBool] encrypted with the client key, compressed, serialized and
// parsed; the noise of unpacked blocks against the cleartexts.
#ifndef KMS_TESTS_TFHE_DECOMPRESSION_FIXTURE_H_
#define KMS_TESTS_TFHE_DECOMPRESSION_FIXTURE_H_

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/status_macros.h"
#include "testing/seeded_rng.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/compression.h"
#include "tfhe/decompression.h"
#include "tfhe/golden_files.h"
#include "tfhe/server_key.h"

namespace kms::tfhe::testing {

inline constexpr uint64_t kU8 = 0xab;
inline constexpr uint64_t kU64 = 0x0123456789abcdefULL;

struct DecompressionSetup {
  ClientKey ck;
  ServerKey sk;
  CompressionKey compression_key;
  LweBootstrapKey<uint64_t> decompression_bsk;
  DecompressionKey64 decompression_key;
  CompressedCiphertextList list;  // [u8 kU8, u64 kU64, bool true], parsed from its bytes
};

inline absl::StatusOr<DecompressionSetup> MakeDecompressionSetup(
    const std::string& prefix, const CompressionParameters& params) {
  auto ck_bytes = ReadGolden(prefix + ".ClientKey.bin");
  auto sk_bytes = ReadGolden(prefix + ".CompressedServerKey.bin");
  if (!ck_bytes || !sk_bytes) return absl::NotFoundError("golden files");
  DecompressionSetup s;
  KMS_ASSIGN_OR_RETURN(s.ck, ParseClientKey(*ck_bytes));
  KMS_ASSIGN_OR_RETURN(CompressedServerKey csk, ParseCompressedServerKey(*sk_bytes));
  KMS_ASSIGN_OR_RETURN(s.sk, DecompressServerKey(csk));
  kms::testing::SeededRng rng(77);
  KMS_ASSIGN_OR_RETURN(s.ck.compression_key, GenerateCompressionPrivateKey(params, rng));
  KMS_ASSIGN_OR_RETURN(s.compression_key, GenerateCompressionKey(s.ck, rng));
  KMS_ASSIGN_OR_RETURN(s.decompression_bsk, GenerateDecompressionBootstrapKey(s.ck, rng));
  KMS_ASSIGN_OR_RETURN(s.decompression_key,
                       MakeDecompressionKey(s.decompression_bsk, params.lwe_per_glwe, csk.tag));
  KMS_ASSIGN_OR_RETURN(FheUint u8, EncryptFheUint(s.ck, kU8, 4, rng));
  KMS_ASSIGN_OR_RETURN(FheUint u64, EncryptFheUint(s.ck, kU64, 32, rng));
  KMS_ASSIGN_OR_RETURN(FheBool b, EncryptFheBool(s.ck, true, rng));
  std::vector<ShortintCiphertext> blocks = u8.blocks;
  blocks.insert(blocks.end(), u64.blocks.begin(), u64.blocks.end());
  blocks.push_back(b.block);
  std::vector<DataKind> info(3);
  info[0].block_count = 4;
  info[1].block_count = 32;
  info[2].kind = DataKind::Kind::kBoolean;
  KMS_ASSIGN_OR_RETURN(CompressedCiphertextList list,
                       CompressCiphertexts(s.compression_key, blocks, info));
  KMS_ASSIGN_OR_RETURN(Bytes bytes, SerializeCompressedCiphertextList(list));
  KMS_ASSIGN_OR_RETURN(s.list, ParseCompressedCiphertextList(bytes));
  return s;
}

// The error of a block encrypting m under the compute GLWE key (as LWE), Δ = 2^63/16.
inline int64_t BlockError(const ClientKey& ck, const ShortintCiphertext& block, uint64_t m) {
  const uint64_t delta = (uint64_t{1} << 63) / (block.message_modulus * block.carry_modulus);
  return static_cast<int64_t>(LwePhase(block.ct, ck.glwe_secret_key.data) - m * delta);
}

// Unpacks every value of the setup's list, checks the cleartexts and tfhe-rs's metadata, and
// returns the noise variance (and the largest |e|, log2) over all blocks.
inline double CheckUnpackedList(const DecompressionSetup& s, double& worst_log2) {
  double sum_sq = 0;
  size_t count = 0;
  worst_log2 = 0;
  auto account = [&](const ShortintCiphertext& block, uint64_t m) {
    const double e = static_cast<double>(BlockError(s.ck, block, m));
    sum_sq += e * e;
    worst_log2 = std::max(worst_log2, std::log2(std::fabs(e) + 1));
    ++count;
  };
  const size_t big = s.ck.parameters.glwe_dimension * s.ck.parameters.polynomial_size;
  for (uint64_t index : {0u, 1u}) {
    auto v = UnpackFheUint(s.list, index, s.decompression_key);
    if (!v.ok()) {
      ADD_FAILURE() << v.status();
      return 0;
    }
    const uint64_t value = index == 0 ? kU8 : kU64;
    EXPECT_EQ(v->blocks.size(), index == 0 ? 4u : 32u);
    EXPECT_EQ(v->tag, s.decompression_key.tag);
    EXPECT_EQ(static_cast<uint64_t>(*DecryptFheUint(s.ck, *v)), value);
    for (size_t j = 0; j < v->blocks.size(); ++j) {
      const ShortintCiphertext& b = v->blocks[j];
      EXPECT_EQ(b.ct.data.size(), big + 1);
      EXPECT_EQ(b.degree, 3u);  // the table's: carry − 1
      EXPECT_EQ(b.noise_level, 1u);
      EXPECT_EQ(b.message_modulus, 4u);
      EXPECT_EQ(b.carry_modulus, 4u);
      EXPECT_EQ(b.atomic_pattern, s.list.meta->atomic_pattern);
      account(b, (value >> (2 * j)) & 3);
    }
  }
  auto b = UnpackFheBool(s.list, 2, s.decompression_key);
  if (!b.ok()) {
    ADD_FAILURE() << b.status();
    return 0;
  }
  EXPECT_TRUE(*DecryptFheBool(s.ck, *b));
  EXPECT_EQ(b->block.degree, 1u);
  EXPECT_EQ(b->block.noise_level, 1u);
  account(b->block, 1);
  return sum_sq / static_cast<double>(count);
}

}  // namespace kms::tfhe::testing

#endif  // KMS_TESTS_TFHE_DECOMPRESSION_FIXTURE_H_
