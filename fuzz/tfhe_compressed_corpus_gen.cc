// tfhe_compressed_corpus_gen OUT_DIR: the seed corpus of tfhe_compressed_formats_fuzz, made with
// our own kms-test-shaped keys (node-tfhe cannot make these formats): a SquashedNoiseFheUint and a
// SquashedNoiseFheBool (cut to 2-word LWEs, the fuzzer only needs the shape), a
// CompressedCiphertextList of a 3-block FheUint, a CompressedSquashedNoiseCiphertextList of a
// boolean and a 2-block integer, and a miniature PublishedServerKey (n = 2, k = 1, N = 4, with a
// compression key and a noise-squashing key) in the tfhe-rs 1.4 form and, in the 1.7 form, with
// an OPRF key and a derived re-randomization compact public key. Deterministic. Not a fuzz target
// (no _fuzz suffix); run it by hand to refresh fuzz/corpus/tfhe_compressed_formats_fuzz/.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tfhe/client_key_encryption.h"
#include "tfhe/compression.h"
#include "tfhe/key_generation.h"
#include "tfhe/noise_squashing.h"
#include "tfhe/published_server_key.h"

namespace {

// A deterministic byte stream (xorshift); corpus generation needs reproducibility, not secrecy.
class FixedRng final : public kms::algebra::RandomSource {
 public:
  void Fill(std::span<uint8_t> out) override {
    for (auto& b : out) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      b = static_cast<uint8_t>(state_);
    }
  }

 private:
  uint64_t state_ = 0x9e3779b97f4a7c15ULL;
};

void Write(const std::filesystem::path& p, const kms::Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kms::tfhe;
  if (argc != 2) {
    std::cerr << "usage: tfhe_compressed_corpus_gen OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  FixedRng rng;
  auto key = GenerateClientKey(KmsTestKeyParameters(), rng);
  if (!key.ok()) return 1;
  key->compression_key = *GenerateCompressionPrivateKey(KmsTestCompressionParameters(), rng);
  key->noise_squashing_private_key =
      GenerateNoiseSquashingPrivateKey(KmsTestNoiseSquashingParameters(), rng);
  key->noise_squashing_compression_private_key = *GenerateNoiseSquashingCompressionPrivateKey(
      KmsTestNoiseSquashingCompressionParameters(), rng);
  const auto sns = *NoiseSquashingLweKey(*key);

  auto u = *EncryptSquashedNoiseFheUint(sns, 0x2d, 3, 4, 4, 0, rng);
  auto b = *EncryptSquashedNoiseFheBool(sns, true, 4, 4, 0, rng);
  auto nsck = *GenerateNoiseSquashingCompressionKey(*key, rng);
  std::vector<SquashedNoiseCiphertext> blocks = {b.block, u.packed_blocks[0]};
  auto sq = *CompressSquashedNoiseCiphertexts(
      nsck, blocks, {{DataKind::Kind::kBoolean}, {DataKind::Kind::kUnsigned, 2}});
  Write(out / "CompressedSquashedNoiseCiphertextList.bin",
        *SerializeCompressedSquashedNoiseCiphertextList(sq));
  for (auto& blk : u.packed_blocks) blk.ct.data.resize(2);
  b.block.ct.data.resize(2);
  Write(out / "SquashedNoiseFheUint.bin", *SerializeSquashedNoiseFheUint(u));
  Write(out / "SquashedNoiseFheBool.bin", *SerializeSquashedNoiseFheBool(b));

  auto ck = *GenerateCompressionKey(*key, rng);
  auto fu = *EncryptFheUint(*key, 9, 3, rng);
  auto list = *CompressCiphertexts(ck, fu.blocks, {{DataKind::Kind::kUnsigned, 3}});
  Write(out / "CompressedCiphertextList.bin", *SerializeCompressedCiphertextList(list));

  PublishedServerKey sk;
  sk.key_switching_key = LweKeyswitchKey{std::vector<uint64_t>(4 * 3, 7), 4, 1, 3, {}};
  sk.bootstrapping_key =
      FourierLweBootstrapKey{std::vector<double>(2 * 4 * 4, 0.5), 4, 2, 2, 23, 1};
  sk.modulus_switch_noise_reduction_key.kind = ModulusSwitchConfiguration::Kind::kCenteredMean;
  sk.message_modulus = 4;
  sk.carry_modulus = 4;
  sk.max_degree = 15;
  sk.max_noise_level = 5;
  CompressionKey small_ck;
  small_ck.packing_key_switching_key.data.assign(4 * 2 * 4, 3);
  small_ck.packing_key_switching_key.decomp_base_log = 4;
  small_ck.packing_key_switching_key.decomp_level_count = 1;
  small_ck.packing_key_switching_key.output_glwe_size = 2;
  small_ck.packing_key_switching_key.output_polynomial_size = 4;
  small_ck.lwe_per_glwe = 4;
  small_ck.storage_log_modulus = 9;
  sk.compression_key = small_ck;
  PublishedNoiseSquashingKey ns;
  ns.bsk = Fourier128LweBootstrapKey{std::vector<double>(2 * 4 * 2, 1.0),
                                     std::vector<double>(2 * 4 * 2, 2.0),
                                     std::vector<double>(2 * 4 * 2, 3.0),
                                     std::vector<double>(2 * 4 * 2, 4.0),
                                     4,
                                     2,
                                     2,
                                     24,
                                     1};
  ns.message_modulus = 4;
  ns.carry_modulus = 4;
  sk.noise_squashing_key = ns;
  auto sk_bytes = SerializePublishedServerKey(sk);
  if (!sk_bytes.ok()) {
    std::cerr << sk_bytes.status() << "\n";
    return 1;
  }
  Write(out / "ServerKey.mini.bin", *sk_bytes);

  PublishedServerKey sk17 = sk;
  sk17.format = TfheFormat::kTfhe17;
  sk17.oprf_bootstrapping_key = sk.bootstrapping_key;  // n = 2 → k·N = 4, the same shape
  CompactPublicKey cpk;
  cpk.key.glwe_ciphertext.polynomial_size = 4;
  cpk.key.glwe_ciphertext.data.assign(2 * 4, 5);
  cpk.parameters.encryption_lwe_dimension = 4;
  cpk.parameters.encryption_noise_distribution = DynamicDistribution::TUniform(42);
  cpk.parameters.message_modulus = 4;
  cpk.parameters.carry_modulus = 4;
  cpk.parameters.expansion_kind.version = 1;
  sk17.cpk_re_randomization_derived_cpk = cpk;
  auto sk17_bytes = SerializePublishedServerKey(sk17);
  if (!sk17_bytes.ok()) {
    std::cerr << sk17_bytes.status() << "\n";
    return 1;
  }
  Write(out / "ServerKey17.mini.bin", *sk17_bytes);
  return 0;
}
