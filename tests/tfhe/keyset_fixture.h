// File: tests/tfhe/keyset_fixture.h
//
// Shared by the keyset tests (unit and interop): the whole path a KMS runs on a centralized
// keyset, from a compact list of two FheUint values under the keyset's CPK to the decrypted sum
// on the SmallExpanded, SmallCompressed and BigCompressed (switch-and-squash) paths, with the
// computing keys loaded from the published server key.
#ifndef KMS_TESTS_TFHE_KEYSET_FIXTURE_H_
#define KMS_TESTS_TFHE_KEYSET_FIXTURE_H_

#include <gtest/gtest.h>

#include <vector>

#include "tfhe/client_key_encryption.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/compressed_ciphertext_list.h"
#include "tfhe/compression.h"
#include "tfhe/decompression.h"
#include "tfhe/expansion.h"
#include "tfhe/keyset.h"
#include "tfhe/noise_squashing.h"
#include "tfhe/server_key.h"
#include "tfhe/squashed_noise.h"

namespace kms::tfhe::testing {

// Values 0 and 1 of `list` (Unsigned, `bits` bits each) are expanded with the loaded casting
// key, added with AddFheUint, and the sum (mod 2^bits) must equal `expected` on every path the
// keys allow: decrypted with the ClientKey; compressed with the 64-bit compression key,
// serialized, parsed, decompressed and decrypted; squashed, decrypted with the SnS secret;
// compressed with the SnS compression key into a CompressedSquashedNoiseCiphertextList,
// serialized, parsed and decrypted with the SnS compression secret.
inline void CheckSumPath(const ClientKey& ck, const ComputeKeys& keys,
                         const CompactCiphertextList& list, size_t bits, u128 expected) {
  ASSERT_TRUE(keys.casting_key.has_value());
  auto expanded = ExpandCompactList(keys.server_key, *keys.casting_key, list);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  const size_t blocks = bits / 2;
  auto a = expanded->GetFheUint(0, blocks);
  auto b = expanded->GetFheUint(1, blocks);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << " " << b.status();
  auto sum = AddFheUint(keys.server_key, *a, *b);
  ASSERT_TRUE(sum.ok()) << sum.status();
  auto plain = DecryptFheUint(ck, *sum);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(static_cast<uint64_t>(*plain), static_cast<uint64_t>(expected)) << "SmallExpanded";

  const std::vector<DataKind> info = {{DataKind::Kind::kUnsigned, blocks}};
  if (keys.compression_key && keys.decompression_key) {
    auto compressed = CompressCiphertexts(*keys.compression_key, sum->blocks, info);
    ASSERT_TRUE(compressed.ok()) << compressed.status();
    auto bytes = SerializeCompressedCiphertextList(*compressed);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto parsed = ParseCompressedCiphertextList(*bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    auto unpacked = UnpackFheUint(*parsed, 0, *keys.decompression_key);
    ASSERT_TRUE(unpacked.ok()) << unpacked.status();
    auto v = DecryptFheUint(ck, *unpacked);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(static_cast<uint64_t>(*v), static_cast<uint64_t>(expected)) << "SmallCompressed";
  }

  ASSERT_TRUE(keys.noise_squashing_key.has_value());
  auto squashed = SquashFheUint(keys.server_key, *keys.noise_squashing_key, *sum);
  ASSERT_TRUE(squashed.ok()) << squashed.status();
  auto sns_key = NoiseSquashingLweKey(ck);
  ASSERT_TRUE(sns_key.ok()) << sns_key.status();
  auto big = DecryptSquashedNoiseFheUint(*sns_key, *squashed);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(static_cast<uint64_t>(*big), static_cast<uint64_t>(expected)) << "BigExpanded";

  ASSERT_TRUE(keys.noise_squashing_compression_key.has_value());
  auto sq_list = CompressSquashedNoiseCiphertexts(*keys.noise_squashing_compression_key,
                                                  squashed->packed_blocks, info);
  ASSERT_TRUE(sq_list.ok()) << sq_list.status();
  auto sq_bytes = SerializeCompressedSquashedNoiseCiphertextList(*sq_list);
  ASSERT_TRUE(sq_bytes.ok()) << sq_bytes.status();
  auto sq_parsed = ParseCompressedSquashedNoiseCiphertextList(*sq_bytes);
  ASSERT_TRUE(sq_parsed.ok()) << sq_parsed.status();
  auto value = GetSquashedNoiseFheUint(*sq_parsed, 0);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->original_block_count, blocks);
  auto c_key = NoiseSquashingCompressionLweKey(ck);
  ASSERT_TRUE(c_key.ok()) << c_key.status();
  auto decrypted = DecryptSquashedNoiseFheUint(*c_key, *value);
  ASSERT_TRUE(decrypted.ok()) << decrypted.status();
  EXPECT_EQ(static_cast<uint64_t>(*decrypted), static_cast<uint64_t>(expected)) << "BigCompressed";
}

}  // namespace kms::tfhe::testing

#endif  // KMS_TESTS_TFHE_KEYSET_FIXTURE_H_
