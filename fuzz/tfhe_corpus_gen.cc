// tfhe_corpus_gen GOLDEN_DIR OUT_DIR: writes the seed corpus of tfhe_formats_fuzz from the
// node-tfhe golden blobs (../shared/golden/tfhe-1.4): the small kms-test blobs as they are,
// the FheUint64 cut down to 2 blocks (the fuzzer only needs the shape), and the kms-test
// CompressedServerKey in the tfhe-rs 1.7 form (V7, V1 seeds of both kinds). Not a fuzz target
// (no _fuzz suffix); run it by hand to refresh fuzz/corpus/tfhe_formats_fuzz/.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "tfhe/ciphertext.h"
#include "tfhe/compressed_server_key.h"

namespace {

kms::Bytes Read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return kms::Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Write(const std::filesystem::path& p, const kms::Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tfhe_corpus_gen GOLDEN_DIR OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path golden = argv[1], out = argv[2];
  std::filesystem::create_directories(out);
  for (const char* name :
       {"kms-test.ClientKey.bin", "kms-test.CompactPublicKey.bin",
        "kms-test.CompressedCompactPublicKey.bin", "kms-test.CompactCiphertextList.mixed.bin",
        "kms-test.CompactCiphertextList.u64.packed.bin", "kms-test.FheBool.client_key.bin",
        "kms-test.CompressedServerKey.bin", "synthetic.ClientKey.kms-test-full.bin"}) {
    const kms::Bytes b = Read(golden / name);
    if (b.empty()) {
      std::cerr << "cannot read " << (golden / name) << "\n";
      return 1;
    }
    Write(out / name, b);
  }
  auto ct = kms::tfhe::ParseFheUint(Read(golden / "kms-test.FheUint64.client_key.bin"));
  if (!ct.ok()) {
    std::cerr << ct.status() << "\n";
    return 1;
  }
  ct->blocks.resize(2);
  auto bytes = kms::tfhe::SerializeFheUint(*ct);
  if (!bytes.ok()) return 1;
  Write(out / "kms-test.FheUint2blocks.bin", *bytes);

  auto csk = kms::tfhe::ParseCompressedServerKey(Read(golden / "kms-test.CompressedServerKey.bin"));
  if (!csk.ok() || !csk->cpk_key_switching_key_material) {
    std::cerr << csk.status() << "\n";
    return 1;
  }
  using kms::tfhe::CompressionSeed;
  csk->format = kms::tfhe::TfheFormat::kTfhe17;
  csk->key_switching_key.compression_seed = {
      .version = CompressionSeed::Version::kV1, .seed = 1, .aes_index = 1, .byte_index = 2};
  csk->bootstrapping_key.ggsw_list.compression_seed = {.version = CompressionSeed::Version::kV1,
                                                       .kind = CompressionSeed::Kind::kXof,
                                                       .seed = 2,
                                                       .aes_index = 0,
                                                       .byte_index = 0};
  csk->cpk_key_switching_key_material->key_switching_key.compression_seed = {
      .version = CompressionSeed::Version::kV1, .seed = 3, .aes_index = 0, .byte_index = 0};
  auto csk17 = kms::tfhe::SerializeCompressedServerKey(*csk);
  if (!csk17.ok()) {
    std::cerr << csk17.status() << "\n";
    return 1;
  }
  Write(out / "kms-test.CompressedServerKey.v17.bin", *csk17);
  return 0;
}
