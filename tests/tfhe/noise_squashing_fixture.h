// File: tests/tfhe/noise_squashing_fixture.h
//
// Shared by the noise-squashing tests: the golden node-tfhe ClientKey and server key of a
// profile with our own noise-squashing key added, and the squash-and-decrypt check.
#ifndef KMS_TESTS_TFHE_NOISE_SQUASHING_FIXTURE_H_
#define KMS_TESTS_TFHE_NOISE_SQUASHING_FIXTURE_H_

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "common/status_macros.h"
#include "crypto/random.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/golden_files.h"
#include "tfhe/noise_model.h"
#include "tfhe/noise_squashing.h"
#include "tfhe/server_key.h"

namespace kms::tfhe::testing {

inline constexpr uint64_t kGoldenU64 = 0x0123456789abcdefULL;

inline double Log2Abs(__int128 e) {
  const double d = static_cast<double>(e);
  return std::log2(std::fabs(d) + 1);
}

struct Setup {
  ClientKey ck;
  ServerKey sk;
  FheUint u64;
  NoiseSquashingKey nsk;
};

inline absl::StatusOr<Setup> Make(const std::string& prefix,
                                  const NoiseSquashingParameters& params) {
  auto ck_bytes = ReadGolden(prefix + ".ClientKey.bin");
  auto sk_bytes = ReadGolden(prefix + ".CompressedServerKey.bin");
  auto ct_bytes = ReadGolden(prefix + ".FheUint64.client_key.bin");
  if (!ck_bytes || !sk_bytes || !ct_bytes) return absl::NotFoundError("golden files");
  Setup s;
  KMS_ASSIGN_OR_RETURN(s.ck, ParseClientKey(*ck_bytes));
  KMS_ASSIGN_OR_RETURN(CompressedServerKey csk, ParseCompressedServerKey(*sk_bytes));
  KMS_ASSIGN_OR_RETURN(s.sk, DecompressServerKey(csk));
  KMS_ASSIGN_OR_RETURN(s.u64, ParseFheUint(*ct_bytes));
  crypto::AesCtrRng rng;
  s.ck.noise_squashing_private_key = GenerateNoiseSquashingPrivateKey(params, rng);
  KMS_ASSIGN_OR_RETURN(LweBootstrapKey<unsigned __int128> bsk,
                       GenerateNoiseSquashingBootstrapKey(s.ck, rng));
  std::optional<DriftTechniqueKey> drift;
  if (params.modulus_switch_noise_reduction_params.kind ==
      ModulusSwitchType::Kind::kDriftTechnique) {
    KMS_ASSIGN_OR_RETURN(
        drift,
        GenerateDriftTechniqueKey(s.ck.lwe_secret_key.data, s.ck.parameters.lwe_noise_distribution,
                                  params.modulus_switch_noise_reduction_params.drift, rng));
  }
  KMS_ASSIGN_OR_RETURN(s.nsk, MakeNoiseSquashingKey(bsk, params, std::move(drift)));
  return s;
}

// Squashes `blocks` golden blocks, their KS-PBS outputs and packed pairs; checks the values,
// the largest noise (log2 below max_log2_noise) and returns the noise variance measured.
inline double CheckSquash(Setup& s, size_t blocks, double max_log2_noise) {
  const unsigned __int128 delta = static_cast<unsigned __int128>(1) << 123;
  const auto id = GenerateLookupTable(s.sk, [](uint64_t x) { return x; });
  double worst = 0, sum_sq = 0;
  size_t count = 0;
  for (size_t i = 0; i < blocks; ++i) {
    const uint64_t m = (kGoldenU64 >> (2 * i)) & 3;
    // The golden block itself (noise level 1, fresh) and a KS-PBS output of it.
    ShortintCiphertext pbs = s.u64.blocks[i];
    if (!(ApplyLookupTable(s.sk, pbs, id).ok())) {
      ADD_FAILURE() << "ApplyLookupTable(s.sk, pbs, id).ok()";
      return 0;
    }
    for (const ShortintCiphertext* in : {&s.u64.blocks[i], &pbs}) {
      auto sq = SquashNoise(s.sk, s.nsk, *in);
      if (!(sq.ok())) {
        ADD_FAILURE() << "sq.ok()";
        return 0;
      }
      EXPECT_EQ(sq->ct.data.size(), s.nsk.bootstrapping_key.output_lwe_dimension() + 1);
      EXPECT_EQ(sq->degree, in->degree);
      auto v = DecryptSquashedNoiseBlock(*NoiseSquashingLweKey(s.ck), *sq);
      if (!(v.ok())) {
        ADD_FAILURE() << "v.ok()";
        return 0;
      }
      EXPECT_EQ(*v, m) << "block " << i;
      const u128 phase = LwePhase128(sq->ct, *NoiseSquashingLweKey(s.ck));
      const __int128 e = static_cast<__int128>(phase - m * delta);
      worst = std::max(worst, Log2Abs(e));
      sum_sq += static_cast<double>(e) * static_cast<double>(e);
      ++count;
    }
  }
  // Packed: blocks 2j, 2j+1 → nibble j.
  for (size_t j = 0; j < blocks / 2; ++j) {
    auto packed = PackBlocks(s.u64.blocks[2 * j], s.u64.blocks[2 * j + 1]);
    if (!(packed.ok())) {
      ADD_FAILURE() << "packed.ok()";
      return 0;
    }
    EXPECT_EQ(packed->degree, 15u);
    auto sq = SquashNoise(s.sk, s.nsk, *packed);
    if (!(sq.ok())) {
      ADD_FAILURE() << "sq.ok()";
      return 0;
    }
    const uint64_t nibble = (kGoldenU64 >> (4 * j)) & 15;
    EXPECT_EQ(*DecryptSquashedNoiseBlock(*NoiseSquashingLweKey(s.ck), *sq), nibble)
        << "nibble " << j;
    const __int128 e =
        static_cast<__int128>(LwePhase128(sq->ct, *NoiseSquashingLweKey(s.ck)) - nibble * delta);
    worst = std::max(worst, Log2Abs(e));
    sum_sq += static_cast<double>(e) * static_cast<double>(e);
    ++count;
  }
  const double variance = count ? sum_sq / static_cast<double>(count) : 0;
  std::printf("squashed noise: max |e| = 2^%.2f, std 2^%.2f on Z_2^128 (Δ_128 = 2^123)\n", worst,
              0.5 * std::log2(variance));
  EXPECT_LT(worst, max_log2_noise);
  return variance;
}

}  // namespace kms::tfhe::testing

#endif  // KMS_TESTS_TFHE_NOISE_SQUASHING_FIXTURE_H_
