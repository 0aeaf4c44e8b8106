// Writes the seed corpus of lwe_formats_fuzz: one small valid encoding of each lwe format
// (test parameter set, deterministic randomness) and a few typed-value strings, one file each.
//
//   lwe_corpus_gen fuzz/corpus/lwe_formats_fuzz
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "lwe/formats.h"

namespace kms::lwe {
namespace {

bool Write(const std::string& dir, const std::string& name, ByteSpan data) {
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

int Run(const std::string& dir) {
  crypto::AesCtrRng rng(crypto::AesKey{0x5e, 0xed}, 0);
  const LweParameters& params = TestParameters();
  SecretKey sk = SecretKey::Generate(params, rng);
  CompactPublicKey pk = GenerateCompactPublicKey(sk, 0x1234, rng);
  auto list = EncryptCompactList(pk, std::vector<uint64_t>{7, 65535}, rng);
  auto typed = EncryptTyped(pk, *TypedPlaintext::FromU64(FheType::kEuint32, 123456), rng);
  std::vector<TypedPlaintext> values = {*TypedPlaintext::FromU64(FheType::kEbool, 1),
                                        *TypedPlaintext::FromU64(FheType::kEuint8, 200)};
  auto typed_list = EncryptTypedList(pk, values, rng);
  if (!list.ok() || !typed.ok() || !typed_list.ok()) return 1;

  bool ok = true;
  ok &= Write(dir, "compact_public_key", *SerializeCompactPublicKey(pk));
  ok &= Write(dir, "secret_key", SerializeSecretKey(sk)->span());
  ok &= Write(dir, "compact_ciphertext_list", *SerializeCompactCiphertextList(*list));
  ok &= Write(dir, "typed_ciphertext", *SerializeTypedCiphertext(*typed));
  ok &= Write(dir, "typed_ciphertext_list", *SerializeTypedCiphertextList(*typed_list));
  ok &= Write(dir, "value_decimal", AsBytes("18446744073709551615"));
  ok &= Write(dir, "value_hex", AsBytes("0xdeadBEEF00112233445566778899aabbccddeeff"));
  ok &= Write(dir, "name_euint64", AsBytes("euint64"));
  ok &= Write(dir, "name_default", AsBytes("default"));
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace kms::lwe

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const int rc = kms::lwe::Run(argv[1]);
  if (rc != 0) std::fprintf(stderr, "lwe_corpus_gen: failed to write the corpus to %s\n", argv[1]);
  return rc;
}
