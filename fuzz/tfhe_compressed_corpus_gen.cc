// tfhe_compressed_corpus_gen OUT_DIR: the seed corpus of tfhe_compressed_formats_fuzz, made with
// our own kms-test-shaped keys (node-tfhe cannot make these formats): a SquashedNoiseFheUint and a
// SquashedNoiseFheBool (cut to 2-word LWEs, the fuzzer only needs the shape), a
// CompressedCiphertextList of a 3-block FheUint and a CompressedSquashedNoiseCiphertextList of a
// boolean and a 2-block integer. Deterministic. Not a fuzz target (no _fuzz suffix); run it by
// hand to refresh fuzz/corpus/tfhe_compressed_formats_fuzz/.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tfhe/client_key_encryption.h"
#include "tfhe/compression.h"
#include "tfhe/key_generation.h"

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
      *GenerateNoiseSquashingPrivateKey(KmsTestNoiseSquashingParameters(), rng);
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
  return 0;
}
